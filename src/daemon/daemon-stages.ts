import type { FrameSource } from '../can/can-frame.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { ContextChange, ContextTracker } from '../context/context-tracker.js';
import type { ContextState } from '../context/context-names.js';
import type { DrivingFeatures, FeatureExtractor } from '../context/driving-features.js';
import type { WorkloadInput } from '../context/workload-features.js';
import type { DriverBackend, ParameterChange } from '../backend/driver-backend.js';
import type { CounterSource } from '../health/counter-source.js';
import type { InstanceFacts } from '../instance/instance-probe.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import type { ParameterValues } from '../manifests/personality.js';
import type { Arbiter, Candidate } from '../policy/arbiter.js';
import type { Target } from '../policy/context-policy.js';
import type { HoldRegistry, HoldSnapshot } from '../policy/hold-registry.js';
import type { SignalDecoder } from '../signals/signal-decoder.js';
import type { DecisionRecord } from './decision-record.js';
import type { HealthFailure } from './health-guard.js';
import type { NamespaceSink } from './namespace-link.js';
import type { PublishQueue } from './publish-queue.js';

/** The stages of the pipeline, in the order data flows through them. */
export interface DaemonStages {
  source: FrameSource;
  decoder: SignalDecoder;
  features: FeatureExtractor;
  tracker: ContextTracker;
  arbiter: Arbiter;
  holds: HoldRegistry;
  /** Where the holds outlive a restart; absent, they live as long as the process (an offline run). */
  holdState?: { load(nowMs: number): HoldSnapshot; save(snapshot: HoldSnapshot): Promise<void> };
  /** How many holds there may be in all (`maxHolds`). */
  maxHolds: number;
  /** How long a hold tied to its owner's presence lasts unless the owner says again that it is online. */
  presenceLeaseMs: number;
  minSwitchIntervalMs: number;
  store: ManifestStore;
  backend: DriverBackend;
  /** Where the daemon tells the world; held while a step runs and while an apply is under way. */
  publisher: PublishQueue;
  /** How often, in CAN time, features are evaluated. */
  sampleIntervalMs: number;
  /** Speeds at or below this are a standstill, when disruptive changes may happen. */
  standstillKmh: number;
  /** Samples the ECU's own load on a timer; absent when the workload regions are off. */
  workload?: { sample(): WorkloadInput; intervalMs: number };
  clock: Clock;
  logger: Logger;
  /** persona's own version, for `info`. */
  version: string;
  /** When values change behind persona's back: apply the personality again, or only report. */
  onDrift: 'reassert' | 'report';
  /** Bare metal or a guest, and its limits, for `info`. */
  instance: InstanceFacts;
  /** The shared namespace: instance context in, adopted personalities in, what was adopted out; absent without one. */
  namespace?: { start(sink: NamespaceSink): void; stop(): void };
  /** The drivers' counters, for the health bounds of manifests; absent when there are none to read. */
  counters?: CounterSource;
}

/** A personality (or part of one) applied to a driver. */
export interface SwitchRecord {
  /** CAN time of the decision that made the switch. */
  readonly timeMs: number;
  /** Wall-clock time of the same decision. */
  readonly wallTimeMs: number;
  readonly speedKmh: number | null;
  readonly target: Target;
  readonly driverId: string;
  readonly from: string | null;
  readonly to: string;
  readonly winner: Candidate;
  /** Why the decision was taken: a context change, a hold, a standstill. */
  readonly trigger: string;
  readonly context: ContextState;
  readonly changes: readonly ParameterChange[];
  readonly waiting: ParameterValues;
  readonly durationMs: number;
  readonly generation: number;
}

/** What the daemon tells whoever runs it (the CLI prints it, a simulation collects it). */
export interface DaemonObserver {
  contextChanged?(change: ContextChange, features: DrivingFeatures | null): void;
  decided?(record: DecisionRecord): void;
  switched?(record: SwitchRecord): void;
  applyFailed?(target: string, personality: string, error: Error): void;
  healthFailed?(failure: HealthFailure): void;
  /** The dashboard listens at this URL. */
  dashboardListening?(url: string): void;
}
