import { GCProfiler } from 'node:v8';

/** What v8.GCProfiler really reports (its @types/node declaration names the fields snake_case). */
interface GcProfile {
  statistics: Array<{
    gcType: string;
    beforeGC: { heapStatistics: { usedHeapSize: number } };
    afterGC: { heapStatistics: { usedHeapSize: number } };
  }>;
}

export interface AllocationReport {
  /** Bytes allocated on the V8 heap while `run` ran: what the GCs freed plus what is still there. */
  readonly bytes: number;
  readonly gcCount: number;
  readonly gcTypes: string[];
  /** process.memoryUsage().heapUsed just before and just after `run`. */
  readonly heapBefore: number;
  readonly heapAfter: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

export const canForceGc = gc !== undefined;

/** A full collection, twice so that finalizers' garbage goes too; a no-op without --expose-gc. */
export function forceGc(): void {
  gc?.();
  gc?.();
}

/**
 * Heap allocation of `run(frames)`, measured after a full collection. Pass a function that has
 * already run (e.g. the one timed) so that compiling it is not counted.
 */
export function measureAllocation(run: (frames: number) => void, frames: number): AllocationReport {
  forceGc();
  const profiler = new GCProfiler();
  const heapBefore = process.memoryUsage().heapUsed;
  profiler.start();
  run(frames);
  const heapAfter = process.memoryUsage().heapUsed;
  const profile = profiler.stop() as unknown as GcProfile;
  let freed = 0;
  for (const s of profile.statistics) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return {
    bytes: Math.max(0, heapAfter - heapBefore + freed),
    gcCount: profile.statistics.length,
    gcTypes: [...new Set(profile.statistics.map((s) => s.gcType))],
    heapBefore,
    heapAfter,
  };
}
