/** Time as the pipeline sees it, injectable so tests and fast replays need no real waiting. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Resolves once `now()` has reached `timeMs`, or at once when `signal` aborts. */
  sleepUntil(timeMs: number, signal?: AbortSignal): Promise<void>;
}

/** The process's monotonic clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleepUntil: (timeMs, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, timeMs - performance.now()));
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A clock that jumps straight to any time it is asked to wait for. */
export class SimulatedClock implements Clock {
  private time: number;
  constructor(startMs = 0) {
    this.time = startMs;
  }
  now(): number {
    return this.time;
  }
  sleepUntil(timeMs: number): Promise<void> {
    if (timeMs > this.time) this.time = timeMs;
    return Promise.resolve();
  }
}
