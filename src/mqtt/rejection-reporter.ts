import type { RejectedPayload } from './contract.js';

/** A refused request, as event/rejected reports it (without time and count). */
export type Rejection = Omit<RejectedPayload, 'time' | 'count'>;

/** Keys (client, what, status) remembered at most: a client that makes up names cannot grow the map. */
const KEYS_KEPT = 1024;

/**
 * Reports refusals on event/rejected without letting a flood become a flood of events: the
 * first refusal of a client, action and status is published at once; the same ones after it
 * are counted and published as one event with their `count` at the end of each window, so a
 * client refused a thousand times a second costs one event per window.
 */
export class RejectionReporter {
  private readonly open = new Map<string, { latest: Rejection; count: number; openedAtMs: number }>();

  constructor(
    private readonly publish: (payload: RejectedPayload) => void,
    private readonly now: () => number,
    private readonly wallNow: () => number,
    readonly windowMs = 10_000,
  ) {}

  report(rejection: Rejection): void {
    const key = `${rejection.client ?? ''}\u0000${rejection.what}\u0000${rejection.status}`;
    const entry = this.open.get(key);
    if (entry) {
      entry.count++;
      entry.latest = rejection;
      return;
    }
    if (this.open.size >= KEYS_KEPT) this.flush(true);
    this.open.set(key, { latest: rejection, count: 0, openedAtMs: this.now() });
    this.emit(rejection, 1);
  }

  /**
   * Publishes what was counted since the last flush; a window that saw nothing more is closed,
   * so the next refusal of its kind is published at once again. `all` closes every window.
   */
  flush(all = false): void {
    const now = this.now();
    for (const [key, entry] of this.open) {
      if (entry.count > 0) {
        this.emit(entry.latest, entry.count);
        entry.count = 0;
        entry.openedAtMs = now;
      }
      if (all || now - entry.openedAtMs >= this.windowMs) this.open.delete(key);
    }
  }

  private emit(rejection: Rejection, count: number): void {
    this.publish({ time: new Date(this.wallNow()).toISOString(), ...rejection, count });
  }
}
