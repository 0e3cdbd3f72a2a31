import type { CanFrame, FrameSource } from '../can/can-frame.js';
import type { Logger } from '../common/logger.js';
import type { ContextChange, ContextTracker } from '../context/context-tracker.js';
import type { DrivingContextName } from '../context/driving-context-machine.js';
import type { DrivingFeatures, FeatureExtractor } from '../context/driving-features.js';
import type { DriverBackend, ParameterChange } from '../backend/driver-backend.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import { formatParameter } from '../manifests/personality.js';
import type { DriverPersonality } from '../mqtt/contract.js';
import type { StatusPublisher } from '../mqtt/status-publisher.js';
import type { ContextPolicy, Selection } from '../policy/context-policy.js';
import type { SignalDecoder } from '../signals/signal-decoder.js';

/** The stages of the pipeline, in the order data flows through them. */
export interface DaemonStages {
  source: FrameSource;
  decoder: SignalDecoder;
  features: FeatureExtractor;
  tracker: ContextTracker;
  policy: ContextPolicy;
  store: ManifestStore;
  backend: DriverBackend;
  publisher: StatusPublisher;
  /** How often, in CAN time, features are evaluated. */
  sampleIntervalMs: number;
  logger: Logger;
}

/** A personality applied to a driver. */
export interface SwitchRecord {
  readonly timeMs: number;
  readonly speedKmh: number | null;
  readonly driverId: string;
  readonly from: string | null;
  readonly to: string;
  readonly context: DrivingContextName;
  readonly rule: string;
  readonly changes: readonly ParameterChange[];
  readonly durationMs: number;
  readonly generation: number;
}

/** What the daemon tells whoever runs it (the CLI prints it). */
export interface DaemonObserver {
  contextChanged?(change: ContextChange): void;
  switched?(record: SwitchRecord): void;
  applyFailed?(selection: Selection, error: Error): void;
}

interface ActivePersonality {
  personality: string;
  sinceMs: number;
  generation: number;
}

const iso = (timeMs: number): string => new Date(timeMs).toISOString();

/**
 * Runs the pipeline: frames → signals → features → context → policy → manifests →
 * backend → MQTT. Time is CAN time (frame timestamps), so a replay as fast as possible
 * makes exactly the decisions a real-time one does.
 */
export class Daemon {
  private readonly active = new Map<string, ActivePersonality>();
  /** Switches run one after another, in decision order, while frames keep flowing. */
  private work: Promise<void> = Promise.resolve();
  private nextSampleUs: number | undefined;
  private decided = false;

  constructor(
    private readonly stages: DaemonStages,
    private readonly observer: DaemonObserver = {},
  ) {}

  async start(): Promise<void> {
    await this.stages.publisher.start();
    this.stages.tracker.start();
  }

  /** Consumes the source until it ends or is stopped, and waits for pending switches. */
  async run(): Promise<void> {
    await this.stages.source.start((frame) => this.onFrame(frame));
    await this.work;
  }

  async stop(): Promise<void> {
    await this.stages.source.stop();
    await this.work;
    this.stages.tracker.stop();
    await this.stages.publisher.stop();
  }

  private onFrame(frame: CanFrame): void {
    this.stages.decoder.accept(frame);
    this.nextSampleUs ??= frame.timeUs;
    if (frame.timeUs < this.nextSampleUs) return;
    while (this.nextSampleUs <= frame.timeUs) this.nextSampleUs += this.stages.sampleIntervalMs * 1000;
    this.sample(frame.timeUs);
  }

  private sample(timeUs: number): void {
    const timeMs = timeUs / 1000;
    const features = this.stages.features.update(this.stages.decoder.snapshot(timeUs), timeMs);
    const change = this.stages.tracker.update(features);
    if (change) this.observer.contextChanged?.(change);
    // Decide on every context change, and once at the first sample so drivers start in
    // the personality of the initial context.
    if (!change && this.decided) return;
    this.decided = true;
    const context = this.stages.tracker.current;
    this.stages.publisher.publishContext({ context, since: iso(timeMs), speedKmh: roundSpeed(features) });
    for (const selection of this.stages.policy.decide(context)) {
      this.work = this.work.then(() => this.switchDriver(selection, context, timeMs, roundSpeed(features)));
    }
  }

  private async switchDriver(selection: Selection, context: DrivingContextName, timeMs: number, speedKmh: number | null): Promise<void> {
    const { store, backend, publisher, logger } = this.stages;
    const current = this.active.get(selection.driverId);
    if (current?.personality === selection.personality) return;
    try {
      const personality = store.require(selection.driverId, selection.personality);
      const result = await backend.apply(selection.driverId, personality.parameters);
      this.active.set(selection.driverId, { personality: personality.name, sinceMs: timeMs, generation: result.generation });
      const record: SwitchRecord = {
        timeMs,
        speedKmh,
        driverId: selection.driverId,
        from: current?.personality ?? null,
        to: personality.name,
        context,
        rule: selection.rule,
        changes: result.changes,
        durationMs: result.durationMs,
        generation: result.generation,
      };
      publisher.publishPersonality({ backend: backend.kind, drivers: this.personalities() });
      publisher.publishSwitch({
        time: iso(timeMs),
        driver: record.driverId,
        from: record.from,
        to: record.to,
        trigger: { context, rule: record.rule },
        changes: record.changes.map((c) => ({ name: c.name, from: c.from === undefined ? null : formatParameter(c.name, c.from), to: formatParameter(c.name, c.to) })),
        durationMs: record.durationMs,
        generation: record.generation,
      });
      this.observer.switched?.(record);
    } catch (err) {
      logger.error(`switching ${selection.driverId} to ${selection.personality} failed: ${(err as Error).message}`);
      this.observer.applyFailed?.(selection, err as Error);
    }
  }

  /** Active personalities with the values read back from the backend. */
  private personalities(): Record<string, DriverPersonality> {
    const out: Record<string, DriverPersonality> = {};
    for (const [driverId, a] of this.active) {
      const values = this.stages.backend.read(driverId);
      out[driverId] = {
        personality: a.personality,
        generation: a.generation,
        since: iso(a.sinceMs),
        parameters: Object.fromEntries(Object.entries(values).map(([name, v]) => [name, formatParameter(name, v)])),
      };
    }
    return out;
  }
}

function roundSpeed(features: DrivingFeatures): number | null {
  return features.speedKmh === null ? null : Math.round(features.speedKmh * 10) / 10;
}
