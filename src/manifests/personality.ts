import type { Signer } from './signature-threshold.js';
import { formatDuration, formatSize } from './units.js';

/** A normalised parameter value: an integer, an enum member or a set of flags. */
export type ParameterValue = number | string | readonly string[];

/**
 * Parameters in the form backends apply them: durations in nanoseconds, sizes in
 * bytes, enums as their string, sets as a sorted array (so equal sets compare equal).
 */
export type ParameterValues = Readonly<Record<string, ParameterValue>>;

/**
 * How a driver takes a new value: at once (`runtime`), with a short interruption
 * such as a queue restart (`disruptive`), or only when it is reloaded (`reload`).
 */
export type ApplyClass = 'runtime' | 'disruptive' | 'reload';

/** One parameter of a resolved personality, as its driver will take it. */
export interface ResolvedParameter {
  /** The abstract name, as manifests write it. */
  readonly name: string;
  readonly value: ParameterValue;
  /** The driver's own parameter (`rx-usecs`). */
  readonly driverParameter: string;
  /** `value` in the driver's unit: 4000 for 4ms in microseconds; enums and sets as they are. */
  readonly driverValue: ParameterValue;
  /** The driver's unit (`us`, `B`), or '' for enums and sets. */
  readonly driverUnit: string;
  /** What the driver's mapping allows: `0us..100ms`, `disabled|balanced|aggressive`. */
  readonly allowed: string;
  readonly apply: ApplyClass;
  /** Position in the driver's apply order. */
  readonly order: number;
  /** The personality whose manifest set it: this one or an ancestor. */
  readonly from: string;
}

/** Why a personality is trusted. */
export interface ManifestTrust {
  /** The verifier that accepted it: `dsse-ed25519`, or `unsigned` for development. */
  readonly verifier: string;
  /** Keys whose valid signatures counted, in envelope order; none when unsigned. */
  readonly signers: readonly Signer[];
  /** Distinct keys the personalities role required; 0 when unsigned. */
  readonly threshold: number;
  /** Version of the trust root that named the keys; undefined when unsigned. */
  readonly rootVersion: number | undefined;
}

/** A manifest's `health` section: bounds on counter rates, watched for `windowMs` after a switch. */
export interface HealthSpec {
  readonly windowMs: number;
  readonly bounds: Readonly<Record<string, { readonly min?: number; readonly max?: number }>>;
}

/** A validated personality: its manifest, with inheritance resolved and checked against its driver's mapping. */
export interface Personality {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly driverId: string;
  /** Semver range of driver versions the parameters were written for. */
  readonly driverVersions: string;
  /** ECU variants it is written for; empty when it is for every one. */
  readonly instanceProfiles: readonly string[];
  /** Its ancestors by name, parent first; empty when it inherits nothing. */
  readonly inherits: readonly string[];
  /** When it stops being valid (`2027-01-01T00:00:00Z`), if ever. */
  readonly expires: string | undefined;
  /** Every parameter, inherited ones included, normalised and in the driver's apply order. */
  readonly parameters: ParameterValues;
  /** What must hold after a switch to it (its own, else its nearest ancestor's), if anything. */
  readonly health: HealthSpec | undefined;
  /** The same parameters with what the driver's mapping says about each, in apply order. */
  readonly resolved: readonly ResolvedParameter[];
  readonly trust: ManifestTrust;
  /** Path of the manifest file, for logs and error messages. */
  readonly source: string;
  /** sha256 (hex) of the trusted payload bytes: the manifest as signed, without its envelope. */
  readonly digest: string;
}

export type ParameterKind = 'duration' | 'size' | 'enum' | 'set';

/**
 * The abstract parameters manifests may set, whatever the driver, and how each is
 * normalised and shown. Must list exactly the parameters of
 * manifests/schema/personality.schema.json (a test checks this); which of them a
 * driver has, and in which range, is its mapping's business.
 */
export const PARAMETER_KINDS: Readonly<Record<string, ParameterKind>> = {
  interrupt_coalescence_time: 'duration',
  DMA_buffer_size: 'size',
  power_saving_mode: 'enum',
  feature_set: 'set',
};

/** A value as a human would write it in a manifest: `4ms`, `256KB`, `disabled`, `tso,gro`. */
export function formatParameter(name: string, value: ParameterValue): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return value.join(',');
  const kind = PARAMETER_KINDS[name];
  if (kind === 'duration') return formatDuration(value);
  if (kind === 'size') return formatSize(value);
  return String(value);
}
