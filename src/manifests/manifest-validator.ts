import { createHash } from 'node:crypto';
// One function, not the whole of semver: its index loads some fifty modules at start-up.
import validRange from 'semver/ranges/valid.js';
import schema from '../../manifests/schema/personality.schema.json' with { type: 'json' };
import { parseBoundedJson } from './bounded-json.js';
import { ManifestError } from './manifest-error.js';
import {
  PARAMETER_KINDS,
  type HealthSpec,
  type ParameterKind,
  type ParameterValue,
  type ParameterValues,
} from './personality.js';
import { compileStrictSchema } from './strict-schema.js';
import { parseTimestamp } from './timestamp.js';
import { parseDuration, parseSize, UnitError } from './units.js';

/** One manifest as written, its units normalised: not yet checked against a mapping or resolved. */
export interface ManifestDocument {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly driverId: string;
  readonly driverVersions: string;
  /** Empty when it is for every instance profile. */
  readonly instanceProfiles: readonly string[];
  readonly inherits: string | undefined;
  readonly expires: string | undefined;
  /** `expires` in ms since the epoch. */
  readonly expiresAt: number | undefined;
  /** Only the parameters this manifest sets itself. */
  readonly parameters: ParameterValues;
  /** Its own health section; undefined when it inherits one or has none. */
  readonly health: HealthSpec | undefined;
  /** sha256 (hex) of the payload bytes. */
  readonly digest: string;
}

/** A manifest as the schema guarantees it, before normalisation. */
interface PersonalityDocument {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly driver: { readonly id: string; readonly versions: string };
  readonly instanceProfiles?: readonly string[];
  readonly inherits?: string;
  readonly expires?: string;
  readonly health?: HealthSpec;
  readonly parameters: Readonly<Record<string, string | readonly string[]>>;
}

const validateDocument = compileStrictSchema<PersonalityDocument>(schema, 'E_SCHEMA');

/**
 * Turns a verified payload into a manifest document, or throws the first problem
 * found as a ManifestError (E_SIZE, E_DEPTH, E_JSON, E_SCHEMA or E_UNIT) that
 * points at the field.
 */
export function parseManifest(payload: Uint8Array, file: string): ManifestDocument {
  const document = validateDocument(parseBoundedJson(payload, file), file);
  const { name, version, description, driver, inherits, expires } = document;
  // The schema pattern only bounds the alphabet; the range grammar needs semver itself.
  if (validRange(driver.versions) === null) {
    const text = `${JSON.stringify(driver.versions)} is not a semver range`;
    throw new ManifestError('E_SCHEMA', file, text, '/driver/versions');
  }
  return Object.freeze({
    name,
    version,
    description,
    driverId: driver.id,
    driverVersions: driver.versions,
    instanceProfiles: Object.freeze([...(document.instanceProfiles ?? [])]),
    inherits,
    expires,
    expiresAt: expires === undefined ? undefined : parseTimestamp(expires, file, '/expires', 'E_SCHEMA'),
    parameters: normalise(document.parameters, file),
    health: document.health === undefined ? undefined : healthSpec(document.health, file),
    digest: createHash('sha256').update(payload).digest('hex'),
  });
}

/** A frozen copy; a bound whose min is above its max could never hold. */
function healthSpec(health: HealthSpec, file: string): HealthSpec {
  for (const [metric, bound] of Object.entries(health.bounds)) {
    if (bound.min !== undefined && bound.max !== undefined && bound.min > bound.max) {
      throw new ManifestError('E_SCHEMA', file, `min ${bound.min} is above max ${bound.max}`, `/health/bounds/${metric}`);
    }
  }
  const bounds = Object.fromEntries(Object.entries(health.bounds).map(([metric, bound]) => [metric, Object.freeze({ ...bound })]));
  return Object.freeze({ windowMs: health.windowMs, bounds: Object.freeze(bounds) });
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
