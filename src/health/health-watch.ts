import type { HealthSpec } from '../manifests/personality.js';

/** A metric outside its bound. */
export interface HealthBreach {
  metric: string;
  value: number;
  bound: 'min' | 'max';
  limit: number;
}

export type HealthVerdict = { state: 'watching' } | { state: 'passed' } | { state: 'breached'; breaches: HealthBreach[]; afterMs: number };

/** A rate needs some time behind it before it means anything. */
const MIN_ELAPSED_MS = 200;
const RATE_SUFFIX = '_per_s';

/**
 * One post-switch observation: counters at the switch, then the rate of each bounded counter
 * since then at every check, until the window ends (passed) or a bound is broken (breached).
 * Metrics are `<counter>_per_s`; a bounded metric whose counter the driver lacks is reported by
 * `unknownMetrics` and not watched, rather than failing a switch for a typo.
 */
export class HealthWatch {
  readonly unknownMetrics: readonly string[];

  constructor(
    readonly spec: HealthSpec,
    private readonly baseline: Readonly<Record<string, number>>,
    private readonly startMs: number,
  ) {
    this.unknownMetrics = Object.keys(spec.bounds).filter((metric) => {
      const counter = counterOf(metric);
      return counter === undefined || !(counter in baseline);
    });
  }

  check(counters: Readonly<Record<string, number>>, nowMs: number): HealthVerdict {
    const elapsedMs = nowMs - this.startMs;
    if (elapsedMs >= MIN_ELAPSED_MS) {
      const breaches: HealthBreach[] = [];
      for (const [metric, bound] of Object.entries(this.spec.bounds)) {
        const counter = counterOf(metric);
        const now = counter === undefined ? undefined : counters[counter];
        const then = counter === undefined ? undefined : this.baseline[counter];
        if (now === undefined || then === undefined) continue;
        const value = ((now - then) * 1000) / elapsedMs;
        if (bound.max !== undefined && value > bound.max) breaches.push({ metric, value, bound: 'max', limit: bound.max });
        if (bound.min !== undefined && value < bound.min) breaches.push({ metric, value, bound: 'min', limit: bound.min });
      }
      if (breaches.length > 0) return { state: 'breached', breaches, afterMs: elapsedMs };
    }
    return elapsedMs >= this.spec.windowMs ? { state: 'passed' } : { state: 'watching' };
  }
}

function counterOf(metric: string): string | undefined {
  return metric.endsWith(RATE_SUFFIX) ? metric.slice(0, -RATE_SUFFIX.length) : undefined;
}

/** "rx_dropped_per_s 812.5 > 50" */
export function describeBreach(b: HealthBreach): string {
  return `${b.metric} ${Math.round(b.value * 10) / 10} ${b.bound === 'max' ? '>' : '<'} ${b.limit}`;
}
