import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Options, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { packageRoot } from './package-root.js';

/**
 * How a schema is checked; each is one set of ajv options.
 * - trusted: a document the integrator wrote (config, policy, vehicle map): every error is reported.
 * - untrusted: a document that may be hostile (manifest, envelope, state file): the first error
 *   ends the check, and the offending value is kept for the message.
 * - request: an MQTT or HTTP request payload: the first error ends the check.
 * Nothing is ever coerced and no default is injected: what is validated is what was written.
 */
export type SchemaFlavour = 'trusted' | 'untrusted' | 'request';

export const FLAVOUR_OPTIONS: Record<SchemaFlavour, Options> = {
  trusted: { strict: true, allErrors: true, coerceTypes: false, useDefaults: false },
  untrusted: { strict: true, allErrors: false, coerceTypes: false, useDefaults: false, verbose: true },
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

// Loads ajv (CommonJS) only when a schema has no generated validator, and the generated file.
const require = createRequire(import.meta.url);
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;
const requested = new Map<string, RequestedSchema>();
let precompiled: Record<string, ValidateFunction | undefined> | undefined;

/**
 * The export name of a schema's validator in the generated file: its flavour and a digest of
 * what shapes the generated code (ajv's version, the flavour's options, the schema), so that a
 * file generated before any of them changed is never used for the new one.
 */
export function validatorKey(flavour: SchemaFlavour, schema: object): string {
  const digest = createHash('sha256').update(JSON.stringify([AJV_VERSION, FLAVOUR_OPTIONS[flavour], schema])).digest('hex');
  return `${flavour}_${digest.slice(0, 32)}`;
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

/** The build generates a new file: it compiles every schema itself and never reads the old one. */
export function ignorePrecompiled(): void {
  precompiled = {};
}

function loadPrecompiled(): Record<string, ValidateFunction | undefined> {
  if (precompiled === undefined) {
    const file = join(packageRoot(), PRECOMPILED_FILE);
    try {
      precompiled = existsSync(file) ? (require(file) as Record<string, ValidateFunction>) : {};
    } catch (err) {
      // Not Node's own message alone: it quotes the whole generated line.
      throw new Error(`${file}: cannot be loaded (${(err as Error).name}): rebuild it with npm run build`);
    }
  }
  return precompiled;
}

function compileNow(flavour: SchemaFlavour, schema: object): ValidateFunction {
  // One ajv per schema, as each module had its own: two schemas never meet by their $id.
  const ajv = new (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020(FLAVOUR_OPTIONS[flavour]);
  return ajv.compile(schema);
}
