import type { DrivingFeatures } from '../context/driving-features.js';
import type { ContextPayload, DecisionPayload, DriftPayload, HealthPayload, HoldsPayload, InfoPayload, ManifestEventPayload, PersonalityPayload, RejectedPayload, StatePublisher, StatusPayload, SwitchPayload, WorkloadPayload } from '../mqtt/contract.js';
import type { SignalSnapshot } from '../signals/signal-decoder.js';
import { decisionSentence } from './decision-sentence.js';
import type { DashboardSections, DashboardSnapshot, DashboardUpdate, LogEntry, SignalView, TimelinePoint, VehicleView } from './dashboard-view.js';

/** The daemon's latest sample, read when the page is due an update (not per frame). */
export interface LiveSample {
  signals: SignalSnapshot;
  features: DrivingFeatures | null;
  /** When the sample was taken, by the wall clock; null before the first. */
  wallTimeMs: number | null;
}

export interface LiveStateOptions {
  /** The `online` status, as the MQTT publisher sends it. */
  online: StatusPayload;
  /** Log entries (switches, rejections, drift, reloads) kept for a page that connects later. */
  logCapacity?: number;
  /** Context timeline kept, in CAN time. */
  timelineMs?: number;
  /** Why the driving context went from one state to another, in words (from the statechart). */
  explainTransition?: (from: string, to: string) => string | undefined;
}

/** A flapping context cannot grow the timeline past this. */
const TIMELINE_POINTS = 1000;

type Section = Exclude<keyof DashboardSections, 'vehicle'>;

/**
 * The dashboard's copy of what the daemon publishes: a StatePublisher fed the very payloads
 * the MQTT publisher gets. It remembers the latest of each state and a bounded log and
 * timeline, and numbers every change so that each flush sends only what is new.
 */
export class LiveState implements StatePublisher {
  /** The number of the latest change. */
  private changes = 0;
  private readonly changedAt = new Map<Section, number>();
  private readonly sections: Omit<DashboardSections, 'vehicle'>;
  private readonly log: LogEntry[] = [];
  private readonly timeline: TimelinePoint[] = [];
  /** CAN time of the latest change of the driving context. */
  private drivingSince: string | null = null;
  private drivingBecause: string | undefined;
  /** Last fresh reading of each signal, for showing stale ones with their last value and age. */
  private readonly lastSeen = new Map<string, { value: number; atMs: number }>();
  private readonly logCapacity: number;
  private readonly timelineMs: number;

  constructor(private readonly options: LiveStateOptions) {
    this.sections = { status: options.online, info: null, context: null, workload: null, personality: null, holds: [], decision: null };
    this.logCapacity = options.logCapacity ?? 100;
    this.timelineMs = options.timelineMs ?? 10 * 60_000;
  }

  get version(): number {
    return this.changes;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  publishContext(payload: ContextPayload): void {
    const previous = this.sections.context;
    if (previous?.context !== payload.context) {
      this.drivingSince = payload.canTime;
      this.drivingBecause = previous ? this.options.explainTransition?.(previous.context, payload.context) : undefined;
    }
    this.set('context', payload);
    this.addTimelinePoint({ seq: this.changes, time: payload.since, canTime: payload.canTime, driving: payload.context, workload: payload.workload, io: payload.io, instance: payload.instance });
  }

  publishPersonality(payload: PersonalityPayload): void {
    this.set('personality', payload);
  }

  publishDecision(payload: DecisionPayload): void {
    const { seq, time, canTime, trigger, context, drivers } = payload;
    this.set('decision', { record: { seq, time, canTime, trigger, context, drivers }, text: decisionSentence(payload, this.drivingSince, this.drivingBecause) });
  }

  publishHolds(payload: HoldsPayload): void {
    this.set('holds', payload.holds);
  }

  publishWorkload(payload: WorkloadPayload): void {
    this.set('workload', payload);
  }

  publishInfo(payload: InfoPayload): void {
    this.set('info', payload);
  }

  publishSwitch(event: SwitchPayload): void {
    this.addLogEntry({ seq: ++this.changes, kind: 'switch', event });
  }

  publishRejected(event: RejectedPayload): void {
    this.addLogEntry({ seq: ++this.changes, kind: 'rejected', event });
  }

  publishDrift(event: DriftPayload): void {
    this.addLogEntry({ seq: ++this.changes, kind: 'drift', event });
  }

  publishHealth(event: HealthPayload): void {
    this.addLogEntry({ seq: ++this.changes, kind: 'health', event });
  }

  publishManifestEvent(event: ManifestEventPayload): void {
    this.addLogEntry({ seq: ++this.changes, kind: 'manifest', event });
  }

  setDegraded(reason: string | undefined): void {
    const { online } = this.options;
    this.set('status', reason === undefined ? online : { ...online, state: 'degraded', reason });
  }

  /** Everything, for a page that just connected. */
  snapshot(sample: LiveSample | null): Omit<DashboardSnapshot, 'ecuId' | 'control'> {
    return { ...this.sections, vehicle: sample ? this.vehicle(sample) : null, timeline: [...this.timeline], log: [...this.log] };
  }

  /** What changed after change number `since`; undefined when nothing did. */
  changesSince(since: number): DashboardUpdate | undefined {
    if (since >= this.changes) return undefined;
    const update: DashboardUpdate = {};
    const target = update as Record<Section, unknown>;
    for (const [section, at] of this.changedAt) if (at > since) target[section] = this.sections[section];
    const timeline = this.timeline.filter((p) => p.seq > since);
    if (timeline.length > 0) update.timeline = timeline;
    const log = this.log.filter((e) => e.seq > since);
    if (log.length > 0) update.log = log;
    return update;
  }

  /** The signals of a sample with their ages; stale ones keep their last value. */
  vehicle(sample: LiveSample): VehicleView {
    const nowMs = sample.features?.timeMs ?? 0;
    const signals: SignalView[] = Object.entries(sample.signals).map(([name, reading]) => {
      if (reading) {
        this.lastSeen.set(name, { value: reading.value, atMs: nowMs - reading.ageMs });
        return { name, value: round(reading.value), ageMs: Math.round(reading.ageMs), stale: false };
      }
      const seen = this.lastSeen.get(name);
      return { name, value: seen ? round(seen.value) : null, ageMs: seen ? Math.round(nowMs - seen.atMs) : null, stale: true };
    });
    const speed = sample.features?.speedKmh ?? null;
    return {
      time: sample.wallTimeMs === null ? null : new Date(sample.wallTimeMs).toISOString(),
      canTime: sample.features ? new Date(nowMs).toISOString() : null,
      speedKmh: speed === null ? null : Math.round(speed * 10) / 10,
      signals,
    };
  }

  private set<S extends Section>(section: S, value: DashboardSections[S]): void {
    this.sections[section] = value;
    this.changedAt.set(section, ++this.changes);
  }

  private addLogEntry(entry: LogEntry): void {
    this.log.push(entry);
    if (this.log.length > this.logCapacity) this.log.shift();
  }

  /** Keeps the points inside the window of CAN time, and the one before it, which says how the window starts. */
  private addTimelinePoint(point: TimelinePoint): void {
    this.timeline.push(point);
    const horizon = Date.parse(point.canTime) - this.timelineMs;
    while (this.timeline.length > TIMELINE_POINTS || (this.timeline.length > 1 && Date.parse(this.timeline[1]!.canTime) <= horizon)) this.timeline.shift();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
