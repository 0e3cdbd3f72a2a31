/** Time as the pipeline sees it, injectable so tests and fast replays need no real waiting. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch: every time the API shows a person or another machine. */
  wallNow(): number;
  /** Resolves once `now()` has reached `timeMs`, or at once when `signal` aborts. */
  sleepUntil(timeMs: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` every `intervalMs`; returns the function that cancels it. */
  every(intervalMs: number, fn: () => void): () => void;
}

/** The process's monotonic clock and its timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
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
  every: (intervalMs, fn) => {
    const timer = setInterval(fn, intervalMs);
    return () => clearInterval(timer);
  },
};

/** Where a simulated wall clock starts unless told: a fixed instant, so that tests print the same times. */
export const SIMULATED_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * A clock that moves only when told to (advance) or when waited on, firing its timers in order.
 * Its wall clock moves with it from `wallStartMs`.
 */
export class SimulatedClock implements Clock {
  private time: number;
  private readonly startMs: number;
  private timers: Array<{ dueMs: number; intervalMs: number; fn: () => void }> = [];

  constructor(
    startMs = 0,
    private readonly wallStartMs = SIMULATED_EPOCH_MS,
  ) {
    this.time = startMs;
    this.startMs = startMs;
  }

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.wallStartMs + (this.time - this.startMs);
  }

  sleepUntil(timeMs: number): Promise<void> {
    if (timeMs > this.time) this.advanceTo(timeMs);
    return Promise.resolve();
  }

  every(intervalMs: number, fn: () => void): () => void {
    const timer = { dueMs: this.time + intervalMs, intervalMs, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  private advanceTo(timeMs: number): void {
    for (;;) {
      const next = this.timers.reduce<(typeof this.timers)[number] | undefined>((a, t) => (t.dueMs <= timeMs && (!a || t.dueMs < a.dueMs) ? t : a), undefined);
      if (!next) break;
      this.time = next.dueMs;
      next.dueMs += next.intervalMs;
      next.fn();
    }
    this.time = timeMs;
  }
}
