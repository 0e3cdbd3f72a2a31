import { formatDuration, formatSize } from './units.js';

/** A normalised parameter value: an integer, an enum member or a set of flags. */
export type ParameterValue = number | string | readonly string[];

/**
 * Parameters in the form backends apply them: durations in nanoseconds, sizes in
 * bytes, enums as their string, sets as a sorted array (so equal sets compare equal).
 */
export type ParameterValues = Readonly<Record<string, ParameterValue>>;

/** A validated personality, as loaded from one manifest. */
export interface Personality {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly driverId: string;
  /** Semver range of driver versions the parameters were written for. */
  readonly driverVersions: string;
  readonly parameters: ParameterValues;
  /** Path of the manifest file, for logs and error messages. */
  readonly source: string;
  /** sha256 (hex) of the trusted payload bytes: for unsigned manifests, the file itself. */
  readonly digest: string;
}

export type ParameterKind = 'duration' | 'size' | 'enum' | 'set';

/**
 * How each known parameter is normalised and shown. Must list exactly the
 * parameters of manifests/schema/personality.schema.json (a test checks this).
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
