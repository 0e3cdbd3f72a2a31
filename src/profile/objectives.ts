import { isMetricName, METRIC_LABELS, type MetricName } from './pvnic-metrics.js';
import type { PointSummary } from './point-summary.js';

export interface Constraint {
  readonly metric: MetricName;
  readonly op: '<=' | '>=';
  readonly value: number;
}

/** What a generated personality is best at, among loss-free points. */
export interface Objective {
  /** The generated manifest's name. */
  readonly name: string;
  /** A metric to minimise, or `knee`: the point of the Pareto front nearest the ideal of both plotted metrics. */
  readonly minimise: MetricName | 'knee';
  readonly constraints: readonly Constraint[];
}

export class ObjectiveError extends Error {
  readonly code = 'E_OBJECTIVE';
  constructor(spec: string, reason: string) {
    super(`--objective ${spec}: ${reason}`);
  }
}

/** performance, balanced and powersave, which every profile generates. */
export const STANDARD_OBJECTIVES: readonly Objective[] = [
  { name: 'performance', minimise: 'added_latency_us', constraints: [] },
  { name: 'balanced', minimise: 'knee', constraints: [] },
  { name: 'powersave', minimise: 'power_mw', constraints: [] },
];

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * `NAME:METRIC[,METRIC<=NUMBER|METRIC>=NUMBER…]`: minimise METRIC under the constraints, e.g.
 * `lowirq:interrupts_per_s,added_latency_us<=1500`. The name must be a manifest name.
 * @throws ObjectiveError
 */
export function parseObjective(spec: string): Objective {
  const colon = spec.indexOf(':');
  const name = spec.slice(0, colon);
  if (colon < 0 || !NAME.test(name)) throw new ObjectiveError(spec, 'expected NAME:METRIC[,METRIC<=NUMBER…] with NAME like a manifest name (a-z, 0-9, -)');
  const [target, ...rest] = spec.slice(colon + 1).split(',');
  const metricOf = (text: string): MetricName => {
    if (!isMetricName(text)) throw new ObjectiveError(spec, `${JSON.stringify(text)} is not a metric: ${Object.keys(METRIC_LABELS).join(', ')}`);
    return text;
  };
  const constraints = rest.map((text): Constraint => {
    const m = /^([a-z_]+)(<=|>=)(-?[0-9]+(?:\.[0-9]+)?)$/.exec(text);
    if (!m) throw new ObjectiveError(spec, `${JSON.stringify(text)} is not a constraint such as added_latency_us<=50`);
    return { metric: metricOf(m[1]!), op: m[2] as '<=' | '>=', value: Number(m[3]) };
  });
  return { name, minimise: target === 'knee' ? 'knee' : metricOf(target ?? ''), constraints };
}

/** The objective as a sentence, for the manifest's provenance. */
export function describeObjective(objective: Objective, axes: readonly [MetricName, MetricName]): string {
  const goal = objective.minimise === 'knee'
    ? `the knee of the ${METRIC_LABELS[axes[0]]} / ${METRIC_LABELS[axes[1]]} Pareto front`
    : `minimum ${METRIC_LABELS[objective.minimise]}`;
  const limits = objective.constraints.map((c) => `${c.metric} ${c.op === '<=' ? '≤' : '≥'} ${c.value}`);
  return [goal, 'loss-free', ...limits].join(', ');
}

/**
 * The loss-free point that best meets the objective, by median; ties go to the fewer of the
 * first plotted metric, then of the second. Undefined when no point meets the constraints.
 */
export function choosePoint(
  objective: Objective,
  points: readonly PointSummary[],
  front: readonly PointSummary[],
  axes: readonly [MetricName, MetricName],
): PointSummary | undefined {
  const meets = (p: PointSummary): boolean =>
    p.lossless && objective.constraints.every((c) => (c.op === '<=' ? p.metrics[c.metric].median <= c.value : p.metrics[c.metric].median >= c.value));
  const [x, y] = axes;
  const tieBreak = (a: PointSummary, b: PointSummary): number => a.metrics[x].median - b.metrics[x].median || a.metrics[y].median - b.metrics[y].median;
  if (objective.minimise === 'knee') {
    const candidates = front.filter(meets);
    const range = (m: MetricName): [number, number] => [Math.min(...candidates.map((p) => p.metrics[m].median)), Math.max(...candidates.map((p) => p.metrics[m].median))];
    const [[x0, x1], [y0, y1]] = [range(x), range(y)];
    const norm = (v: number, lo: number, hi: number): number => (hi > lo ? (v - lo) / (hi - lo) : 0);
    const distance = (p: PointSummary): number => Math.hypot(norm(p.metrics[x].median, x0, x1), norm(p.metrics[y].median, y0, y1));
    return candidates.toSorted((a, b) => distance(a) - distance(b) || tieBreak(a, b))[0];
  }
  const metric = objective.minimise;
  return points.filter(meets).toSorted((a, b) => a.metrics[metric].median - b.metrics[metric].median || tieBreak(a, b))[0];
}
