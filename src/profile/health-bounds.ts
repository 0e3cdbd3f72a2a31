import type { PointSummary } from './point-summary.js';

/** The metrics a health section bounds for pvnic, as the daemon's watchdog reads them. */
export type HealthMetric = 'rx_dropped_per_s' | 'added_latency_us' | 'interrupts_per_s';

/** A manifest's `health` section: what must hold over `windowMs` after a switch to it. */
export interface HealthBounds {
  readonly windowMs: number;
  readonly bounds: Readonly<Partial<Record<HealthMetric, { readonly max?: number; readonly min?: number }>>>;
}

/** Headroom over the worst sample: the car's traffic is never exactly the workload's. */
export const HEALTH_MARGIN = 1.5;
/**
 * Drops allowed however few were measured, as a fraction of the packet rate: a switch that
 * resizes the ring drops what it held, and the window starts at the switch.
 */
export const HEALTH_DROP_FLOOR = 0.01;

/**
 * Upper bounds a personality should hold, from the worst of its own samples with a margin:
 * breaking them means the configuration behaves worse than when it was profiled.
 */
export function healthBounds(point: PointSummary, windowMs: number): HealthBounds {
  const m = point.metrics;
  return {
    windowMs,
    bounds: {
      rx_dropped_per_s: { max: Math.ceil(Math.max(m.rx_dropped_per_s.max * HEALTH_MARGIN, m.rx_packets_per_s.median * HEALTH_DROP_FLOOR)) },
      added_latency_us: { max: Math.ceil(m.added_latency_us.max * HEALTH_MARGIN) },
      interrupts_per_s: { max: Math.ceil(m.interrupts_per_s.max * HEALTH_MARGIN) },
    },
  };
}
