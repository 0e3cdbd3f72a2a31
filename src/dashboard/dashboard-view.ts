import type { ContextPayload, DecisionPayload, DriftPayload, HealthPayload, HoldsPayload, InfoPayload, ManifestEventPayload, PersonalityPayload, RejectedPayload, StatusPayload, SwitchPayload, WorkloadPayload } from '../mqtt/contract.js';

/**
 * What the dashboard page is sent: the MQTT contract's payloads as the daemon built them,
 * plus the few things only a live view needs (signal ages, a context timeline, an event log).
 * As on MQTT, every `time` is wall-clock time and every `canTime` CAN time.
 */

/** One VSS signal as the page shows it; a stale one keeps its last value and how old it is. */
export interface SignalView {
  name: string;
  value: number | null;
  ageMs: number | null;
  stale: boolean;
}

export interface VehicleView {
  /** When the sample was taken, by the wall clock; null before the first sample. */
  time: string | null;
  /** The sample's CAN time: the drive's clock, which the page shows and draws the timeline in; null before the first sample. */
  canTime: string | null;
  speedKmh: number | null;
  signals: SignalView[];
}

/** The context from `time` (wall clock) or `canTime` on; `seq` orders points across updates. */
export interface TimelinePoint {
  seq: number;
  time: string;
  canTime: string;
  driving: string;
  workload: string;
  io: string;
  instance: string;
}

export type LogEntry = { seq: number } & (
  | { kind: 'switch'; event: SwitchPayload }
  | { kind: 'rejected'; event: RejectedPayload }
  | { kind: 'drift'; event: DriftPayload }
  | { kind: 'health'; event: HealthPayload }
  | { kind: 'manifest'; event: ManifestEventPayload }
);

/** The latest decision without its raw inputs (the page shows them as signals), and in words. */
export interface DecisionView {
  record: Omit<DecisionPayload, 'inputs'>;
  text: string;
}

/** The sections that are replaced as a whole when they change. */
export interface DashboardSections {
  status: StatusPayload;
  info: InfoPayload | null;
  context: ContextPayload | null;
  workload: WorkloadPayload | null;
  personality: PersonalityPayload | null;
  holds: HoldsPayload['holds'];
  decision: DecisionView | null;
  vehicle: VehicleView | null;
}

/** `event: snapshot`, sent once on connect: everything. */
export interface DashboardSnapshot extends DashboardSections {
  ecuId: string;
  /** Whether holds may be placed and released from the page (with the token). */
  control: boolean;
  timeline: TimelinePoint[];
  log: LogEntry[];
}

/** `event: update`, at most every flush interval: changed sections, and timeline points and log entries since the last one. */
export type DashboardUpdate = Partial<DashboardSections> & { timeline?: TimelinePoint[]; log?: LogEntry[] };
