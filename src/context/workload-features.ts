/**
 * What the workload regions of the statechart read. The sampler (src/context/workload-sampler.ts)
 * produces it from Linux pressure stall information and /proc counters.
 */
export interface WorkloadInput {
  readonly timeMs: number;
  /** 0–100: share of time tasks stalled on CPU, memory and IO. */
  readonly cpuPressure: number;
  readonly memoryPressure: number;
  readonly ioPressure: number | null;
  readonly disk: { readBytesPerS: number; writeBytesPerS: number; requestsPerS: number; meanRequestBytes: number } | null;
  readonly net: { rxBytesPerS: number; txBytesPerS: number; packetsPerS: number; meanPacketBytes: number } | null;
}

/** The highest of the three pressures. */
export function peakPressure(w: WorkloadInput): number {
  return Math.max(w.cpuPressure, w.memoryPressure, w.ioPressure ?? 0);
}

/** Disk and network traffic together: bytes and operations per second, and their mean size. */
export function ioTraffic(w: WorkloadInput): { bytesPerS: number; opsPerS: number; meanBytes: number } {
  const bytesPerS = (w.disk ? w.disk.readBytesPerS + w.disk.writeBytesPerS : 0) + (w.net ? w.net.rxBytesPerS + w.net.txBytesPerS : 0);
  const opsPerS = (w.disk?.requestsPerS ?? 0) + (w.net?.packetsPerS ?? 0);
  return { bytesPerS, opsPerS, meanBytes: opsPerS > 0 ? bytesPerS / opsPerS : 0 };
}
