/** A token bucket: `burst` at once, refilled at `perSecond`; `take()` says whether one was left. */
export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly rate: { perSecond: number; burst: number },
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = rate.burst;
    this.refilledAtMs = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.refilledAtMs) / 1000) * this.rate.perSecond);
    this.refilledAtMs = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
