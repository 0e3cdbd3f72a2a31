import { createHash } from 'node:crypto';
import type { ParameterValues } from '../manifests/personality.js';
import { generatedManifest, manifestParameters, SCHEMA_HAS_HEALTH } from './generated-manifest.js';
import { healthBounds, type HealthBounds } from './health-bounds.js';
import { choosePoint, describeObjective, type Objective } from './objectives.js';
import type { SweptParameter } from './parameter-grid.js';
import { paretoFront, summarisePoints, type PointSummary } from './point-summary.js';
import { ESTIMATED_POWER, METRIC_LABELS, type MetricName } from './pvnic-metrics.js';
import type { SweepResult } from './sweep.js';
import { tradeOffSvg } from './trade-off-plot.js';
import type { Workload } from './workload.js';

/** Everything about a profiling run that is not a measurement. */
export interface ProfileContext {
  readonly generator: string;
  /** UTC, to the second. */
  readonly date: string;
  readonly seed: number;
  readonly driverId: string;
  readonly driverVersion: string;
  readonly kernel: string;
  readonly resource: string;
  readonly backend: string;
  readonly workloadName: string;
  readonly workload: Workload;
  readonly parameters: readonly SweptParameter[];
  readonly settleMs: number;
  readonly repeats: number;
  /** x and y of the plot, and the metrics of the Pareto front. */
  readonly axes: readonly [MetricName, MetricName];
  readonly objectives: readonly Objective[];
  readonly manifestVersion: number;
  readonly healthWindowMs: number;
}

export interface GeneratedPersonality {
  readonly name: string;
  readonly point: PointSummary;
  readonly health: HealthBounds;
  /** The unsigned manifest, as written to <name>.json. */
  readonly json: string;
}

export interface ProfileReport {
  /** profile.json: every sample, and how to reproduce them. */
  readonly profileJson: string;
  readonly svg: string;
  readonly points: readonly PointSummary[];
  readonly front: readonly PointSummary[];
  readonly personalities: readonly GeneratedPersonality[];
  /** Objectives that no loss-free point met. */
  readonly unmet: readonly string[];
}

/**
 * Turns a sweep into its outputs: summaries per point, the Pareto front, one personality per
 * objective (with the health bounds it should hold), profile.json, and the plot. The manifests
 * name profile.json by digest, so it is written first and never changed after.
 */
export function buildProfileReport(context: ProfileContext, points: readonly ParameterValues[], sweep: SweepResult): ProfileReport {
  const summaries = summarisePoints(points, sweep.baseline, sweep.samples);
  const front = paretoFront(summaries, ...context.axes);
  const chosen = context.objectives.map((objective) => ({ objective, point: choosePoint(objective, summaries, front, context.axes) }));
  const method = `grid sweep of ${context.parameters.map((p) => p.spec).join(' × ')} (${points.length} points in an order from seed ${context.seed}), ` +
    `${context.settleMs} ms to settle, ${context.repeats} samples per point of workload ${context.workloadName} (${context.workload.durationMs} ms each), ` +
    `through the ${context.backend} backend on ${context.resource}`;
  const profile = {
    format: 'persona-profile/1',
    generator: context.generator,
    date: context.date,
    seed: context.seed,
    driver: { id: context.driverId, version: context.driverVersion },
    kernel: context.kernel,
    backend: context.backend,
    resource: context.resource,
    workload: { name: context.workloadName, digest: `sha256:${context.workload.digest}`, description: context.workload.description, steps: context.workload.steps },
    sweep: {
      method,
      parameters: context.parameters.map((p) => ({ name: p.name, spec: p.spec, values: p.values.map((v) => manifestParameters({ [p.name]: v })[p.name]) })),
      settleMs: context.settleMs,
      repeats: context.repeats,
      axes: context.axes,
      order: sweep.order,
      wallMs: Math.round(sweep.wallMs),
    },
    baseline: manifestParameters(sweep.baseline),
    powerModel: ESTIMATED_POWER,
    samples: sweep.samples,
    points: summaries.map((p) => ({ index: p.index, swept: manifestParameters(p.swept), lossless: p.lossless, samples: p.samples, metrics: p.metrics })),
    paretoFront: front.map((p) => p.index),
    objectives: chosen.map(({ objective, point }) => ({
      name: objective.name,
      objective: describeObjective(objective, context.axes),
      point: point?.index ?? null,
      health: point ? healthBounds(point, context.healthWindowMs) : null,
      healthInManifest: point !== undefined && SCHEMA_HAS_HEALTH,
    })),
  };
  const profileJson = `${JSON.stringify(profile, null, 2)}\n`;
  const profileDigest = createHash('sha256').update(profileJson).digest('hex');
  const personalities = chosen.flatMap(({ objective, point }): GeneratedPersonality[] => {
    if (!point) return [];
    const health = healthBounds(point, context.healthWindowMs);
    const manifest = generatedManifest({
      name: objective.name,
      version: context.manifestVersion,
      objective: describeObjective(objective, context.axes),
      point,
      health,
      origin: {
        generator: context.generator,
        generatedAt: context.date,
        method,
        profileDigest,
        driverId: context.driverId,
        driverVersion: context.driverVersion,
        kernel: context.kernel,
        resource: context.resource,
        seed: context.seed,
        workloadDigest: context.workload.digest,
      },
    });
    return [{ name: objective.name, point, health, json: `${JSON.stringify(manifest, null, 2)}\n` }];
  });
  const svg = tradeOffSvg({
    title: `${context.driverId} ${context.driverVersion} on ${context.resource}: ${METRIC_LABELS[context.axes[1]]} vs ${METRIC_LABELS[context.axes[0]]}`,
    subtitle: `${context.parameters.map((p) => p.spec).join(' × ')}; workload ${context.workloadName}; ${context.repeats} samples per point; ${context.date}`,
    axes: context.axes,
    points: summaries,
    front,
    chosen: personalities.map((p) => ({ name: p.name, point: p.point })),
  });
  return { profileJson, svg, points: summaries, front, personalities, unmet: chosen.filter((c) => !c.point).map((c) => c.objective.name) };
}
