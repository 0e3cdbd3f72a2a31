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
  /** Whether the vehicle stands: what disruptive parameters wait for. */
  readonly standstill: boolean;
  /** The applier's revision: the standings the decision planned from. */
  readonly standings: number;
  readonly manifests: ManifestIndex;
}

/** What a decision planned for one driver. */
export interface PlannedResult {
  readonly result: PlanResult;
  /** The winner is the personality the driver already has, or is being switched to. */
  readonly continuing: boolean;
}

/**
 * The inputs of the last decision, kept while that decision left nothing to do until they
 * change: nothing applied or adopted, and every driver either already had its winner and its
 * values (`unchanged`, continuing) or was finishing a switch to it whose disruptive rest waits for a standstill
 * (`pending`, continuing). Such a decision reads the time nowhere: a continuing switch is not
 * held to the minimum interval, and nothing else is deferred. Taken again on the same inputs,
 * with no hold expired, it would choose the same winners, plan the same and record nothing,
 * so a sample that brings no other inputs need not take it.
 */
export class SettledDecision {
  private settled: DecisionInputs | undefined;

  /** After each decision: what it read, what it planned, and whether it queued an apply. */
  decided(inputs: DecisionInputs, planned: readonly PlannedResult[], queued: boolean): void {
    // An unchanged plan for a winner the driver is not standing on is an adoption: it is queued,
    // unless limp mode's backoff held it back, and then the next sample must try again.
    const waits = planned.every((p) => p.continuing && (p.result === 'unchanged' || p.result === 'pending'));
    this.settled = !queued && waits ? inputs : undefined;
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
      s.standstill === inputs.standstill &&
      s.context.driving === inputs.context.driving &&
      s.context.workload === inputs.context.workload &&
      s.context.io === inputs.context.io &&
      s.context.instance === inputs.context.instance
    );
  }
}
