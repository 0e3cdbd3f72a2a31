import type { Logger } from '../common/logger.js';
import type { CounterSource } from '../health/counter-source.js';
import { HealthWatch, describeBreach, type HealthBreach } from '../health/health-watch.js';
import type { Personality } from '../manifests/personality.js';
import type { Verdict } from '../policy/arbiter.js';
import type { Target } from '../policy/context-policy.js';

/** A personality that broke its health bounds after a switch. */
export interface HealthFailure {
  readonly target: Target;
  readonly driverId: string;
  readonly personality: string;
  /** The personality it replaced, applied again instead; null when there was none. */
  readonly revertTo: string | null;
  readonly breaches: readonly HealthBreach[];
  /** CAN time from the switch to the breach. */
  readonly afterMs: number;
  readonly windowMs: number;
}

interface ActiveWatch {
  readonly watch: HealthWatch;
  readonly target: Target;
  readonly personality: string;
  readonly from: string | null;
}

/**
 * The post-switch health watchdog: after a switch to a personality with a `health` section it
 * watches the driver's counters for the window; a breach quarantines the personality until a load
 * brings another manifest for it, and while quarantined it loses to the one it replaced, as a
 * safety rule (so no hold and no minimum interval keeps a harmful personality in place).
 */
export class HealthGuard {
  private readonly watches = new Map<string, ActiveWatch>();
  private readonly quarantined = new Map<string, HealthFailure>();

  constructor(
    private readonly counters: CounterSource | undefined,
    private readonly logger: Logger,
  ) {}

  /** After a switch of `target` to `personality`: watch it if it asks to be and the driver has counters. */
  switched(target: Target, personality: Personality | undefined, from: string | null, nowMs: number): void {
    this.watches.delete(target.key);
    const spec = personality?.health;
    if (!personality || !spec || from === personality.name) return;
    const baseline = this.counters?.read(target.driverId, target.resources);
    if (!baseline) {
      this.logger.warn(`${personality.name} on ${target.key} has health bounds, but ${target.resources.join(', ')} have no counters to watch`);
      return;
    }
    const watch = new HealthWatch(spec, baseline, nowMs);
    if (watch.unknownMetrics.length > 0) this.logger.warn(`${personality.source}: health metrics ${watch.unknownMetrics.join(', ')} are not counter rates of ${target.resources.join(', ')}; not watched`);
    this.watches.set(target.key, { watch, target, personality: personality.name, from });
  }

  /** Checks every watch; returns the failures, each now quarantined. */
  check(nowMs: number): HealthFailure[] {
    const failures: HealthFailure[] = [];
    for (const [key, active] of this.watches) {
      const counters = this.counters?.read(active.target.driverId, active.target.resources);
      if (!counters) continue;
      const verdict = active.watch.check(counters, nowMs);
      if (verdict.state === 'watching') continue;
      this.watches.delete(key);
      if (verdict.state === 'passed') {
        this.logger.info(`${active.personality} on ${key} held its health bounds for ${active.watch.spec.windowMs} ms`);
        continue;
      }
      const failure: HealthFailure = {
        target: active.target,
        driverId: active.target.driverId,
        personality: active.personality,
        revertTo: active.from,
        breaches: verdict.breaches,
        afterMs: verdict.afterMs,
        windowMs: active.watch.spec.windowMs,
      };
      this.quarantined.set(quarantineKey(active.target.driverId, active.personality), failure);
      failures.push(failure);
    }
    return failures;
  }

  /** The verdict to act on: a quarantined winner gives way to the personality it replaced. */
  screen(verdict: Verdict): Verdict {
    const failure = this.quarantined.get(quarantineKey(verdict.driverId, verdict.winner.personality));
    if (!failure || failure.revertTo === null || this.quarantined.has(quarantineKey(verdict.driverId, failure.revertTo))) return verdict;
    const why = `quarantined after breaking its health bounds (${failure.breaches.map(describeBreach).join(', ')})`;
    return {
      ...verdict,
      winner: { source: 'safety', personality: failure.revertTo, rule: `health of ${failure.personality}` },
      losers: [{ ...verdict.winner, why }, ...verdict.losers],
    };
  }

  /** New manifests for these personalities: each gets another chance. */
  release(personalities: ReadonlyArray<{ driverId: string; name: string }>): void {
    for (const p of personalities) this.quarantined.delete(quarantineKey(p.driverId, p.name));
  }
}

function quarantineKey(driverId: string, personality: string): string {
  return `${driverId}/${personality}`;
}
