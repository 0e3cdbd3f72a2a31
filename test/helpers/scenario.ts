import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import type { ContextChange } from '../../src/context/context-tracker.js';
import type { WorkloadInput } from '../../src/context/workload-features.js';
import type { DriverBackend } from '../../src/backend/driver-backend.js';
import type { CounterSource } from '../../src/health/counter-source.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig, type PersonaConfig } from '../../src/daemon/config.js';
import type { Daemon, SwitchRecord } from '../../src/daemon/daemon.js';
import type { DecisionRecord } from '../../src/daemon/decision-record.js';
import type { ContextPayload, DriftPayload, HealthPayload, HoldsPayload, InfoPayload, ManifestEventPayload, PersonalityPayload, RejectedPayload, StatePublisher, SwitchPayload, WorkloadPayload } from '../../src/mqtt/contract.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { CAN_START_US, ScriptSource, type Leg } from './drive-script.js';
import { join } from 'node:path';

/** Keeps what the daemon publishes, for assertions. */
export class RecordingPublisher implements StatePublisher {
  contexts: ContextPayload[] = [];
  personalities: PersonalityPayload[] = [];
  decisions: DecisionRecord[] = [];
  switches: SwitchPayload[] = [];
  holds: HoldsPayload[] = [];
  workloads: WorkloadPayload[] = [];
  rejected: RejectedPayload[] = [];
  infos: InfoPayload[] = [];
  manifestEvents: ManifestEventPayload[] = [];
  degraded: Array<string | undefined> = [];
  drifts: DriftPayload[] = [];
  health: HealthPayload[] = [];
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  publishContext(p: ContextPayload): void {
    this.contexts.push(p);
  }
  publishPersonality(p: PersonalityPayload): void {
    this.personalities.push(p);
  }
  publishDecision(p: DecisionRecord): void {
    this.decisions.push(p);
  }
  publishSwitch(p: SwitchPayload): void {
    this.switches.push(p);
  }
  publishHolds(p: HoldsPayload): void {
    this.holds.push(p);
  }
  publishWorkload(p: WorkloadPayload): void {
    this.workloads.push(p);
  }
  publishRejected(p: RejectedPayload): void {
    this.rejected.push(p);
  }
  publishInfo(p: InfoPayload): void {
    this.infos.push(p);
  }
  publishManifestEvent(p: ManifestEventPayload): void {
    this.manifestEvents.push(p);
  }
  publishDrift(p: DriftPayload): void {
    this.drifts.push(p);
  }
  publishHealth(p: HealthPayload): void {
    this.health.push(p);
  }
  setDegraded(reason: string | undefined): void {
    this.degraded.push(reason);
  }
}

export interface ScenarioResult {
  daemon: Daemon;
  published: RecordingPublisher;
  changes: ContextChange[];
  switches: SwitchRecord[];
  /** Seconds since the start of the script, for readable assertions. */
  at: (timeMs: number) => number;
  clock: SimulatedClock;
}

export interface DriveOptions {
  overrides?: Partial<PersonaConfig>;
  workload?: (clock: SimulatedClock) => WorkloadInput;
  backend?: DriverBackend;
  counters?: CounterSource;
  logger?: Logger;
  /** A clock of the test's own (a wall clock that starts elsewhere, a second run later on). */
  clock?: SimulatedClock;
  /** Keeps the holds in the config's holdState, as a daemon with a broker does: a second run restores them. */
  durableHolds?: boolean;
  /** A recording publisher of the test's own (one that notes more at each publish). */
  published?: RecordingPublisher;
  /** Told of each decision recorded, as the daemon's observer is. */
  decided?: (record: DecisionRecord) => void;
}

/**
 * Runs the real daemon (real decoder, statechart, policy, manifests, simulated backend)
 * over a scripted drive on a simulated clock. `legs` may use `scenario.daemon` in onStart.
 */
export async function runScenario(
  legs: (daemon: () => Daemon) => Leg[],
  overrides: Partial<PersonaConfig> = {},
  workload?: (clock: SimulatedClock) => WorkloadInput,
  backend?: DriverBackend,
  counters?: CounterSource,
  logger: Logger = silentLogger,
): Promise<ScenarioResult> {
  return runDrive(legs, { overrides, workload, backend, counters, logger });
}

/** runScenario with every option named, and a clock or durable holds of the test's own. */
export async function runDrive(legs: (daemon: () => Daemon) => Leg[], options: DriveOptions = {}): Promise<ScenarioResult> {
  const { workload, backend, counters, logger = silentLogger } = options;
  const clock = options.clock ?? new SimulatedClock();
  // Without a scripted workload the regions stay put: the real /proc would make runs differ.
  const config = loadConfig({ cwd: packageRoot(), overrides: { workloadIntervalMs: workload ? 1000 : 0, ...options.overrides } });
  const changes: ContextChange[] = [];
  const switches: SwitchRecord[] = [];
  const published = options.published ?? new RecordingPublisher();
  // Legs reach the daemon only once it runs, after it has been built below.
  const get = (): Daemon => daemon;
  const source = new ScriptSource(loadVehicle(join(packageRoot(), 'vehicles/demo')), legs(get), clock);
  const workloadSampler = workload ? { sample: () => workload(clock) } : undefined;
  const daemon = (await buildDaemon(config, {
    logger,
    clock,
    source,
    ...(workloadSampler ? { workloadSampler } : {}),
    ...(backend ? { backend } : {}),
    ...(counters ? { counters } : {}),
    ...(options.durableHolds ? { durableHolds: true } : {}),
    observer: { contextChanged: (c) => changes.push(c), switched: (s) => switches.push(s), ...(options.decided ? { decided: options.decided } : {}) },
  }))({ publisher: published });
  await daemon.start();
  await daemon.run();
  await daemon.stop();
  return { daemon, published, changes, switches, at: (timeMs) => Math.round(timeMs - CAN_START_US / 1000) / 1000, clock };
}
