import { performance } from 'node:perf_hooks';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Operations per second of each timed round: a median of rounds is robust to a noisy machine. */
export function timeRounds(rounds: number, perRound: number, run: (count: number) => void): number[] {
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    run(perRound);
    const seconds = (performance.now() - t0) / 1000;
    rates.push(perRound / seconds);
  }
  return rates;
}

/** The nearest-rank percentile (q in 0..1) of `values`; NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
