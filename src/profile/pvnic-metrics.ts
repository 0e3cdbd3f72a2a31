import type { ParameterValues } from '../manifests/personality.js';
import type { CounterReading } from './traffic-probe.js';

/** What one sample measures. Rates are per second of the sample's own window. */
export interface Metrics {
  readonly interrupts_per_s: number;
  /** Mean time a received packet waited for its interrupt, wake-up included. */
  readonly added_latency_us: number;
  readonly rx_dropped_per_s: number;
  readonly rx_packets_per_s: number;
  /** An estimate from a model, not a measurement: see ESTIMATED_POWER. */
  readonly power_mw: number;
}

export type MetricName = keyof Metrics;

export const METRIC_NAMES: readonly MetricName[] = ['interrupts_per_s', 'added_latency_us', 'rx_dropped_per_s', 'rx_packets_per_s', 'power_mw'];

export const METRIC_LABELS: Readonly<Record<MetricName, string>> = {
  interrupts_per_s: 'interrupts/s',
  added_latency_us: 'added latency (µs)',
  rx_dropped_per_s: 'drops/s',
  rx_packets_per_s: 'packets/s',
  power_mw: 'estimated power (mW)',
};

/**
 * pvnic has no power sensor, so power is estimated: a base draw per power mode, plus energy
 * per interrupt (waking the CPU) and per packet (DMA). The numbers are a plausible model of a
 * small automotive NIC, documented in docs/profiling.md; they order configurations, they do
 * not predict a real board's watts.
 */
export const ESTIMATED_POWER = {
  baseMw: { disabled: 900, balanced: 600, aggressive: 350 } as Readonly<Record<string, number>>,
  perInterruptUj: 150,
  perPacketUj: 2,
} as const;

export function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/** The metrics of a window between two readings, at the driver's configuration `values`. */
export function pvnicMetrics(before: CounterReading, after: CounterReading, values: ParameterValues): Metrics {
  const seconds = (after.atMs - before.atMs) / 1000;
  const [a, b] = [after.counters, before.counters];
  const packets = a.rxPackets - b.rxPackets;
  const interruptsPerS = (a.rxInterrupts - b.rxInterrupts) / seconds;
  const packetsPerS = packets / seconds;
  const base = ESTIMATED_POWER.baseMw[String(values.power_saving_mode)] ?? ESTIMATED_POWER.baseMw.balanced!;
  return {
    interrupts_per_s: interruptsPerS,
    added_latency_us: packets > 0 ? (a.rxLatencyNs - b.rxLatencyNs) / packets / 1000 : 0,
    rx_dropped_per_s: (a.rxDropped - b.rxDropped) / seconds,
    rx_packets_per_s: packetsPerS,
    power_mw: base + (interruptsPerS * ESTIMATED_POWER.perInterruptUj + packetsPerS * ESTIMATED_POWER.perPacketUj) / 1000,
  };
}
