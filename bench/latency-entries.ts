import type { BenchEntry } from './bench-entry.js';
import type { PipelineTiming } from './pipeline-timing.js';
import { percentile } from './timing.js';

/** The p50/p99 rows of a pipeline timing, each with its sample count; frame → applied p99, the last, carries the target when one is given. */
export function latencyEntries(timing: Pick<PipelineTiming, 'frameToDecisionUs' | 'decisionToAppliedUs' | 'frameToAppliedUs'>, where: string, targetFrameToAppliedP99Us?: number): BenchEntry[] {
  const row = (name: string, samples: readonly number[], q: number): BenchEntry => ({
    name: `${name} p${Math.round(q * 100)} (${where})`,
    value: percentile(samples, q),
    unit: 'µs',
    reference: null,
    referenceValue: null,
    target: null,
    met: null,
    note: `${samples.length} samples`,
  });
  const entries = [
    row('frame → decision', timing.frameToDecisionUs, 0.5),
    row('frame → decision', timing.frameToDecisionUs, 0.99),
    row('decision → applied', timing.decisionToAppliedUs, 0.5),
    row('decision → applied', timing.decisionToAppliedUs, 0.99),
    row('frame → applied', timing.frameToAppliedUs, 0.5),
  ];
  const p99 = row('frame → applied', timing.frameToAppliedUs, 0.99);
  if (targetFrameToAppliedP99Us !== undefined) {
    p99.target = `≤ ${targetFrameToAppliedP99Us / 1000} ms`;
    p99.met = p99.value <= targetFrameToAppliedP99Us;
  }
  return [...entries, p99];
}
