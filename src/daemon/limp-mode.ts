import type { Clock } from '../common/clock.js';

export interface LimpModeOptions {
  /** Consecutive failed applies that make persona limp. */
  threshold: number;
  /** First wait between retries in limp mode; doubled after each failed retry up to maxMs. */
  initialMs: number;
  maxMs: number;
}

const DEFAULTS: LimpModeOptions = { threshold: 3, initialMs: 1000, maxMs: 60_000 };

/**
 * When applying keeps failing, or the driver has vanished, persona limps: it asks only for the
 * safe personality, retries no more often than a doubling backoff allows, and says so in status
 * until an apply succeeds again.
 */
export class LimpMode {
  private failures = 0;
  private waitMs = 0;
  private nextRetryMs = 0;
  private why: string | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly options: LimpModeOptions = DEFAULTS,
  ) {}

  get active(): boolean {
    return this.why !== undefined;
  }

  /** Why persona limps, while it does. */
  get reason(): string | undefined {
    return this.why;
  }

  /** Whether an apply may be tried now: always, except between retries in limp mode. */
  mayApply(): boolean {
    return !this.active || this.clock.now() >= this.nextRetryMs;
  }

  /** An apply failed; `vanished` when its driver is gone. Returns true when this starts limp mode. */
  failed(reason: string, vanished: boolean): boolean {
    this.failures++;
    if (this.active) {
      this.waitMs = Math.min(this.waitMs * 2, this.options.maxMs);
      this.nextRetryMs = this.clock.now() + this.waitMs;
      return false;
    }
    if (!vanished && this.failures < this.options.threshold) return false;
    this.why = vanished ? reason : `${this.failures} applies failed in a row, the last: ${reason}`;
    this.waitMs = this.options.initialMs;
    this.nextRetryMs = this.clock.now() + this.waitMs;
    return true;
  }

  /** An apply succeeded. Returns true when this ends limp mode. */
  succeeded(): boolean {
    this.failures = 0;
    if (!this.active) return false;
    this.why = undefined;
    return true;
  }
}
