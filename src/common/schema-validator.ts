import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Options, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { packageRoot } from './package-root.js';

/**
 * How a schema is checked; each is one set of ajv options.
 * - document: a trusted document (config, policy, vehicle map): every error is reported.
 * - strict: an untrusted document (manifest, envelope, state file): the first error ends the
 *   check, and the offending value is kept for the message.
 * - request: an MQTT or HTTP request payload: the first error ends the check.
 * Nothing is ever coerced and no default is injected: what is validated is what was written.
 */
export type SchemaFlavour = 'document' | 'strict' | 'request';

export const FLAVOUR_OPTIONS: Record<SchemaFlavour, Options> = {
  document: { strict: true, allErrors: true, coerceTypes: false, useDefaults: false },
  strict: { strict: true, allErrors: false, coerceTypes: false, useDefaults: false, verbose: true },
  request: { strict: true, allErrors: false, coerceTypes: false, useDefaults: false },
};

/** Where the build writes the validators it generated with ajv's standalone code (`npm run build`). */
export const PRECOMPILED_FILE = 'dist/validators.cjs';

/** A schema some module asked a validator for, as the build finds them to generate their code. */
export interface RequestedSchema {
  flavour: SchemaFlavour;
  schema: object;
  key: string;
}

const requested = new Map<string, RequestedSchema>();
let precompiled: Record<string, ValidateFunction | undefined> | undefined;
const ajvs = new Map<SchemaFlavour, { compile(schema: object): ValidateFunction }>();
// ajv is CommonJS; it is loaded only when a schema has no generated validator.
const require = createRequire(import.meta.url);

/** The export name of a schema's validator in the generated file: its flavour and a digest of the schema. */
export function validatorKey(flavour: SchemaFlavour, schema: object): string {
  return `${flavour}_${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 32)}`;
}

/**
 * The validator of `schema`. Compiling the daemon's schemas with ajv at start-up costs most of
 * a second (far more on a small ECU), so the build generates their code once and this returns
 * it; a schema the build did not see (changed since, or the sources run without a build) is
 * compiled here, with the same options, so the result never depends on which one ran.
 */
export function schemaValidator(flavour: SchemaFlavour, schema: object): ValidateFunction {
  const key = validatorKey(flavour, schema);
  requested.set(key, { flavour, schema, key });
  return loadPrecompiled()[key] ?? compileNow(flavour, schema);
}

/** Every schema asked for so far in this process. */
export function requestedSchemas(): RequestedSchema[] {
  return [...requested.values()];
}

/** Whether the build generated the validator of this schema, as it reads now. */
export function isPrecompiled(flavour: SchemaFlavour, schema: object): boolean {
  return loadPrecompiled()[validatorKey(flavour, schema)] !== undefined;
}

function loadPrecompiled(): Record<string, ValidateFunction | undefined> {
  if (precompiled === undefined) {
    const file = join(packageRoot(), PRECOMPILED_FILE);
    precompiled = existsSync(file) ? (require(file) as Record<string, ValidateFunction>) : {};
  }
  return precompiled;
}

function compileNow(flavour: SchemaFlavour, schema: object): ValidateFunction {
  let ajv = ajvs.get(flavour);
  if (ajv === undefined) {
    const ajv2020 = (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020;
    ajv = new ajv2020(FLAVOUR_OPTIONS[flavour]);
    ajvs.set(flavour, ajv);
  }
  return ajv.compile(schema);
}
