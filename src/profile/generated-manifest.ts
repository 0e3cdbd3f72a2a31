import schema from '../../manifests/schema/personality.schema.json' with { type: 'json' };
import { formatParameter, PARAMETER_KINDS, type ParameterValues } from '../manifests/personality.js';
import type { HealthBounds } from './health-bounds.js';
import { METRIC_NAMES } from './pvnic-metrics.js';
import type { PointSummary } from './point-summary.js';

/** Where a generated manifest's point came from; becomes its `provenance.profile`. */
export interface ProfileOrigin {
  readonly generator: string;
  readonly generatedAt: string;
  readonly method: string;
  /** sha256 hex of profile.json. */
  readonly profileDigest: string;
  readonly driverId: string;
  readonly driverVersion: string;
  readonly kernel: string;
  readonly resource: string;
  readonly seed: number;
  /** sha256 hex of the workload file. */
  readonly workloadDigest: string;
}

export interface GeneratedManifestInput {
  readonly name: string;
  readonly version: number;
  readonly objective: string;
  readonly point: PointSummary;
  readonly health: HealthBounds;
  readonly origin: ProfileOrigin;
}

/**
 * Whether the personality schema has a `health` section. It is added with the post-switch
 * watchdog; until then the bounds stay in profile.json, so that every generated manifest lints.
 */
export const SCHEMA_HAS_HEALTH = 'health' in schema.properties;

/**
 * An unsigned personality for `persona manifest sign`: every parameter of the driver as it was
 * measured (swept and not), `provenance` saying how it was derived, and `health` where the
 * schema has it. Keys in the schema's order, values in the units a person would write.
 */
export function generatedManifest(input: GeneratedManifestInput): Record<string, unknown> {
  const { point, origin } = input;
  const measured = Object.fromEntries(METRIC_NAMES.map((m) => [m, round(point.metrics[m].median)]));
  const description =
    `Generated from a profile of ${origin.driverId} ${origin.driverVersion} on ${origin.resource}: ${input.objective}. ` +
    `Measured ${round(point.metrics.added_latency_us.median)} µs added latency, ${round(point.metrics.interrupts_per_s.median)} interrupts/s, ` +
    `${round(point.metrics.rx_dropped_per_s.median)} drops/s, ~${round(point.metrics.power_mw.median)} mW estimated (medians of ${point.samples} samples).`;
  return {
    name: input.name,
    version: input.version,
    description: description.slice(0, 500),
    driver: { id: origin.driverId, versions: `^${origin.driverVersion}` },
    provenance: {
      generator: origin.generator,
      generatedAt: origin.generatedAt,
      method: origin.method.slice(0, 500),
      objective: input.objective.slice(0, 200),
      profile: {
        digest: `sha256:${origin.profileDigest}`,
        driverVersion: origin.driverVersion,
        kernel: origin.kernel,
        resource: origin.resource,
        seed: origin.seed,
        workload: `sha256:${origin.workloadDigest}`,
      },
      measured,
    },
    parameters: manifestParameters(point.values),
    ...(SCHEMA_HAS_HEALTH ? { health: input.health } : {}),
  };
}

/** Values as a manifest writes them: `4ms`, `64KB`, `balanced`, `["gro","rx_checksum"]`. */
export function manifestParameters(values: ParameterValues): Record<string, string | readonly string[]> {
  return Object.fromEntries(
    Object.keys(PARAMETER_KINDS)
      .filter((name) => values[name] !== undefined)
      .map((name) => {
        const value = values[name]!;
        return [name, Array.isArray(value) ? [...(value as readonly string[])] : formatParameter(name, value)];
      }),
  );
}

/** Three significant digits at most: the samples do not carry more. */
function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return 0;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 3)));
}
