import type { ContextState } from '../context/context-names.js';
import type { DrivingFeatures } from '../context/driving-features.js';
import type { InstanceInput } from '../context/instance-features.js';
import type { WorkloadInput } from '../context/workload-features.js';
import type { Candidate } from '../policy/arbiter.js';
import type { PlanResult } from '../policy/switch-planner.js';
import type { SignalFreshness, SignalSnapshot } from '../signals/signal-decoder.js';

/** What was decided for one target (a driver's resources that share a policy), and why. */
export interface DriverDecision {
  /** `pvnic`, or `pvnic/pvnic1` for a resource with rules of its own. */
  readonly target: string;
  readonly resources: readonly string[];
  readonly driverId: string;
  readonly winner: Candidate;
  readonly losers: ReadonlyArray<Candidate & { readonly why: string }>;
  readonly result: PlanResult;
  /** Parameters applied now and parameters waiting for a standstill, as written in manifests. */
  readonly apply: Readonly<Record<string, string>>;
  readonly waiting: Readonly<Record<string, string>>;
  /**
   * For a deferred switch: when it may happen, in wall-clock time, counted from the decision at
   * the pace CAN time runs (exact on a live bus, an estimate for a replay).
   */
  readonly notBefore?: string;
  /** The same moment in CAN time: where the minimum interval between switches ends. */
  readonly notBeforeCanTime?: string;
}

/** One decision of the pipeline: everything needed to say why a driver has its personality. */
export interface DecisionRecord {
  readonly seq: number;
  /** Wall-clock time of the decision. */
  readonly time: string;
  /** CAN time of the decision: the time the pipeline decided on, comparable only with other `canTime` fields. */
  readonly canTime: string;
  /** What made persona decide: a context change, a hold, a standstill, the start. */
  readonly trigger: string;
  readonly context: ContextState;
  readonly inputs: {
    readonly signals: SignalSnapshot;
    /** Each signal's maximum age and where it comes from (the map, the DBC, the bus), and its age. */
    readonly freshness: Readonly<Record<string, SignalFreshness>>;
    readonly features: DrivingFeatures | null;
    readonly workload: WorkloadInput | null;
    /** The host's instance context as last received, stale or not; null before any. */
    readonly instance: InstanceInput | null;
  };
  readonly drivers: readonly DriverDecision[];
}
