import type { DriverBackend } from '../backend/driver-backend.js';
import type { Clock } from '../common/clock.js';
import { mulberry32 } from '../common/prng.js';
import type { ParameterValues } from '../manifests/personality.js';
import { pvnicMetrics, type Metrics } from './pvnic-metrics.js';
import type { TrafficProbe } from './traffic-probe.js';
import type { Workload } from './workload.js';

export interface SweepOptions {
  readonly backend: DriverBackend;
  readonly probe: TrafficProbe;
  readonly clock: Clock;
  readonly driverId: string;
  readonly resource: string;
  /** The swept values of each point; parameters not swept keep the values the driver had. */
  readonly points: readonly ParameterValues[];
  readonly workload: Workload;
  /** After applying a point, how long to wait before measuring: a new ring restarts the queue. */
  readonly settleMs: number;
  /** Samples per point, each a full replay of the workload. */
  readonly repeats: number;
  /** Orders the points. */
  readonly seed: number;
  /** After each sample: samples done, of how many, and the time spent so far. */
  readonly onProgress?: (done: number, total: number, elapsedMs: number) => void;
  /** Stops after the sample in progress; the driver is still restored. */
  readonly signal?: AbortSignal;
}

export interface Sample {
  /** Index into the sweep's points. */
  readonly point: number;
  readonly repeat: number;
  /** The measured window, from the first counter reading to the last. */
  readonly windowMs: number;
  readonly metrics: Metrics;
}

export interface SweepResult {
  /** The driver's values before the sweep, restored after it. */
  readonly baseline: ParameterValues;
  /** The points in the order they were measured. */
  readonly order: readonly number[];
  readonly samples: readonly Sample[];
  readonly wallMs: number;
}

/**
 * Applies each point through the backend to one resource, lets it settle under the workload's
 * first rate, then replays the whole workload `repeats` times, reading the counters around
 * each replay. The points run in an order shuffled by the seed, so a slow drift of the machine
 * (another load, a warming cache) spreads over the grid instead of lining up with a parameter.
 * The driver gets its own values back at the end, also when the sweep fails or is aborted.
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const { backend, probe, clock, driverId, resource, points, workload, repeats } = options;
  const started = clock.now();
  const baseline = backend.read(driverId, resource);
  const order = shuffled(points.length, options.seed);
  const samples: Sample[] = [];
  const total = points.length * repeats;
  await probe.start();
  try {
    for (const index of order) {
      const point = points[index]!;
      await backend.apply(driverId, point, [resource]);
      const values = { ...baseline, ...point };
      await probe.setLoad(workload.steps[0]!.packetsPerSecond);
      await clock.sleepUntil(clock.now() + options.settleMs, options.signal);
      for (let repeat = 0; repeat < repeats; repeat++) {
        if (options.signal?.aborted) throw new Error('the sweep was interrupted');
        const before = await probe.read();
        let until = clock.now();
        for (const step of workload.steps) {
          await probe.setLoad(step.packetsPerSecond);
          until += step.durationMs;
          await clock.sleepUntil(until, options.signal);
        }
        const after = await probe.read();
        samples.push({ point: index, repeat, windowMs: after.atMs - before.atMs, metrics: pvnicMetrics(before, after, values) });
        options.onProgress?.(samples.length, total, clock.now() - started);
      }
    }
  } finally {
    await backend.apply(driverId, baseline, [resource]);
    await probe.stop();
  }
  return { baseline, order, samples, wallMs: clock.now() - started };
}

/** 0..n-1 in a Fisher–Yates order drawn from the seed. */
function shuffled(n: number, seed: number): number[] {
  const random = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
