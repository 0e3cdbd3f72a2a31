import type { ContextState } from '../context/context-names.js';
import type { InstanceRole } from '../context/instance-features.js';
import type { ManifestIndex } from '../manifests/manifest-index.js';
import type { PlanResult } from '../policy/switch-planner.js';

/** What a decision reads besides the holds and the time. */
export interface DecisionInputs {
  readonly context: ContextState;
  readonly role: InstanceRole | null;
  /** Limping, a decision asks for the safe personality whatever the context. */
  readonly limping: boolean;
  /** The applier's revision: the standings the decision planned from. */
  readonly standings: number;
  readonly manifests: ManifestIndex;
}

/**
 * The inputs of the last decision, kept while that decision left nothing to do: every driver
 * already had its winner's values (each plan `unchanged`, nothing applied or adopted). Such a
 * decision reads the time nowhere: nothing is deferred to the minimum interval, nothing waits
 * for a standstill. Taken again on the same inputs, with no hold expired, it would choose the
 * same winners, plan the same nothing and record nothing, so a sample that brings no other
 * inputs need not take it.
 */
export class SettledDecision {
  private settled: DecisionInputs | undefined;

  /** After each decision: what it read, and whether it left nothing to do. */
  decided(inputs: DecisionInputs, results: readonly PlanResult[], queued: boolean): void {
    this.settled = !queued && results.every((r) => r === 'unchanged') ? inputs : undefined;
  }

  /** Whether a decision on `inputs` would be the settled one again. */
  holds(inputs: DecisionInputs): boolean {
    const s = this.settled;
    return (
      s !== undefined &&
      s.standings === inputs.standings &&
      s.manifests === inputs.manifests &&
      s.role === inputs.role &&
      s.limping === inputs.limping &&
      s.context.driving === inputs.context.driving &&
      s.context.workload === inputs.context.workload &&
      s.context.io === inputs.context.io &&
      s.context.instance === inputs.context.instance
    );
  }
}
