import type { ParameterValues } from '../manifests/personality.js';
import { METRIC_NAMES, type MetricName } from './pvnic-metrics.js';
import type { Sample } from './sweep.js';

/** One metric over a point's samples. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface PointSummary {
  readonly index: number;
  /** The swept values. */
  readonly swept: ParameterValues;
  /** Every parameter of the driver as measured: the swept values over the baseline. */
  readonly values: ParameterValues;
  readonly samples: number;
  readonly metrics: Readonly<Record<MetricName, Spread>>;
  /** Dropped at most DROP_TOLERANCE of what it received (median). */
  readonly lossless: boolean;
}

/**
 * Drops a point may show and still count as loss-free: a thousandth of what it received. Any
 * drop at all would make one late timer tick on a loaded machine disqualify a point.
 */
export const DROP_TOLERANCE = 0.001;

export function summarisePoints(points: readonly ParameterValues[], baseline: ParameterValues, samples: readonly Sample[]): PointSummary[] {
  return points.map((swept, index) => {
    const own = samples.filter((s) => s.point === index);
    const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, spread(own.map((s) => s.metrics[m]))])) as Record<MetricName, Spread>;
    return {
      index,
      swept,
      values: { ...baseline, ...swept },
      samples: own.length,
      metrics,
      lossless: metrics.rx_dropped_per_s.median <= DROP_TOLERANCE * metrics.rx_packets_per_s.median,
    };
  });
}

function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/**
 * The loss-free points no other loss-free point beats on both metrics (both minimised, by
 * median), ordered by the first metric.
 */
export function paretoFront(points: readonly PointSummary[], x: MetricName, y: MetricName): PointSummary[] {
  const candidates = points.filter((p) => p.lossless);
  const dominated = (p: PointSummary): boolean =>
    candidates.some((q) => {
      const [qx, qy, px, py] = [q.metrics[x].median, q.metrics[y].median, p.metrics[x].median, p.metrics[y].median];
      return qx <= px && qy <= py && (qx < px || qy < py);
    });
  return candidates.filter((p) => !dominated(p)).toSorted((a, b) => a.metrics[x].median - b.metrics[x].median || a.metrics[y].median - b.metrics[y].median);
}
