import type { ContextPolicy, PolicyContext, Target } from './context-policy.js';
import type { HoldRegistry } from './hold-registry.js';

/** One contender for a driver: the safety rule, a hold, or the automatic policy. */
export interface Candidate {
  readonly source: 'safety' | 'hold' | 'policy';
  readonly personality: string;
  /** The policy rule (file#pointer) or the hold id. */
  readonly rule: string;
  readonly owner?: string;
  readonly priority?: number;
}

export interface Verdict {
  readonly target: Target;
  readonly driverId: string;
  readonly winner: Candidate;
  readonly losers: ReadonlyArray<Candidate & { readonly why: string }>;
}

/**
 * Decides who gets each driver. Order: safety (context unknown → safe personality) >
 * holds by priority (then newest) > the automatic policy.
 */
export class Arbiter {
  constructor(
    private readonly policy: ContextPolicy,
    private readonly holds: HoldRegistry,
    /** What decisions are about; a hold applies to every target of its driver. */
    readonly targets: readonly Target[],
  ) {}

  /** Among the holds in force: the daemon drops those that ended, on the wall clock, before it asks. */
  decide(context: PolicyContext): Verdict[] {
    return this.policy.decide(context, this.targets).map((choice) => {
      const target = choice.target;
      const fromPolicy: Candidate = { source: choice.safety ? 'safety' : 'policy', personality: choice.personality, rule: choice.rule };
      const fromHolds: Candidate[] = this.holds
        .forDriver(choice.driverId)
        .map((h) => ({ source: 'hold', personality: h.personality, rule: h.id, owner: h.owner, priority: h.priority }));
      if (choice.safety) {
        return { target, driverId: choice.driverId, winner: fromPolicy, losers: fromHolds.map((c) => ({ ...c, why: 'outranked by safety: the driving context is unknown' })) };
      }
      const [strongest, ...weaker] = fromHolds;
      if (!strongest) return { target, driverId: choice.driverId, winner: fromPolicy, losers: [] };
      const beaten = `outranked by hold ${strongest.rule} of ${strongest.owner} (priority ${strongest.priority})`;
      return {
        target,
        driverId: choice.driverId,
        winner: strongest,
        losers: [...weaker.map((c) => ({ ...c, why: c.priority === strongest.priority ? `${beaten}, which is newer at the same priority` : beaten })), { ...fromPolicy, why: beaten }],
      };
    });
  }
}
