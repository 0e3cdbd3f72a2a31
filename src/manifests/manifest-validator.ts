import { createHash } from 'node:crypto';
import { Ajv2020, type DefinedError } from 'ajv/dist/2020.js';
import semver from 'semver';
import schema from '../../manifests/schema/personality.schema.json' with { type: 'json' };
import { ManifestError } from './manifest-error.js';
import {
  PARAMETER_KINDS,
  type ParameterKind,
  type ParameterValue,
  type ParameterValues,
  type Personality,
} from './personality.js';
import { parseDuration, parseSize, UnitError } from './units.js';

/** A manifest as the schema guarantees it, before normalisation. */
interface PersonalityDocument {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly driver: { readonly id: string; readonly versions: string };
  readonly parameters: Readonly<Record<string, string | readonly string[]>>;
}

// Manifests are taken exactly as written: no coercion, no defaults, first error only.
const ajv = new Ajv2020({
  strict: true,
  allErrors: false,
  coerceTypes: false,
  useDefaults: false,
  verbose: true, // keeps the offending value, so messages can show it
});
const validateDocument = ajv.compile<PersonalityDocument>(schema);

/**
 * Turns a verified payload into a personality, or throws the first problem found
 * as a ManifestError (E_JSON, E_SCHEMA or E_UNIT) that points at the field.
 */
export function parsePersonality(payload: Uint8Array, file: string): Personality {
  const document = parseJson(payload, file);
  if (!validateDocument(document)) {
    // ajv always sets errors on failure, and stops at the first one.
    const error = validateDocument.errors?.[0] as DefinedError;
    throw new ManifestError('E_SCHEMA', file, describe(error), pointer(error));
  }
  const { name, version, description, driver } = document;
  // The schema pattern only bounds the alphabet; the range grammar needs semver itself.
  if (semver.validRange(driver.versions) === null) {
    const text = `${JSON.stringify(driver.versions)} is not a semver range`;
    throw new ManifestError('E_SCHEMA', file, text, '/driver/versions');
  }
  return Object.freeze({
    name,
    version,
    description,
    driverId: driver.id,
    driverVersions: driver.versions,
    parameters: normalise(document.parameters, file),
    source: file,
    digest: createHash('sha256').update(payload).digest('hex'),
  });
}

function parseJson(payload: Uint8Array, file: string): unknown {
  try {
    // fatal: invalid UTF-8 is an error, not silently replaced characters.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new ManifestError('E_JSON', file, text, undefined, { cause: error });
  }
}

/** The failing field itself, also for errors ajv reports on the parent object. */
function pointer(error: DefinedError): string {
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}/${escapePointer(error.params.additionalProperty)}`;
  }
  if (error.keyword === 'required') {
    return `${error.instancePath}/${escapePointer(error.params.missingProperty)}`;
  }
  return error.instancePath;
}

function describe(error: DefinedError): string {
  if (error.keyword === 'additionalProperties') return 'is not allowed';
  if (error.keyword === 'required') return 'is required';
  return `${error.message} (got ${preview(error.data)})`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function normalise(
  parameters: PersonalityDocument['parameters'],
  file: string,
): ParameterValues {
  const values: Record<string, ParameterValue> = {};
  for (const [name, kind] of Object.entries(PARAMETER_KINDS)) {
    const raw = parameters[name];
    if (raw === undefined) continue;
    try {
      values[name] = normaliseValue(kind, raw);
    } catch (error) {
      if (!(error instanceof UnitError)) throw error;
      throw new ManifestError('E_UNIT', file, error.message, `/parameters/${name}`, { cause: error });
    }
  }
  return Object.freeze(values);
}

function normaliseValue(kind: ParameterKind, raw: string | readonly string[]): ParameterValue {
  // The schema makes sets arrays and every other kind a string.
  if (typeof raw !== 'string') return Object.freeze(raw.toSorted());
  if (kind === 'duration') return parseDuration(raw);
  if (kind === 'size') return parseSize(raw);
  return raw;
}
