import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { systemClock, type Clock } from '../common/clock.js';
import { DocumentError, readJsonDocument, type DocumentProblem } from '../common/schema.js';
import type { Logger } from '../common/logger.js';
import { createFrameSource, parseSourceSpec } from '../can/frame-source-spec.js';
import type { FrameSource } from '../can/can-frame.js';
import { ContextTracker } from '../context/context-tracker.js';
import { createContextMachine } from '../context/context-machine.js';
import { FeatureExtractor } from '../context/driving-features.js';
import { WorkloadSampler } from '../context/workload-sampler.js';
import type { WorkloadInput } from '../context/workload-features.js';
import { ContextPolicy } from '../policy/context-policy.js';
import { Arbiter } from '../policy/arbiter.js';
import { HoldRegistry } from '../policy/hold-registry.js';
import { HoldStateFile } from '../policy/hold-state-file.js';
import { ConfinedFolder } from '../manifests/confined-file.js';
import { ManifestStore } from '../manifests/manifest-store.js';
import { RollbackState } from '../manifests/rollback-state.js';
import { SignedManifestVerifier } from '../manifests/signed-manifest-verifier.js';
import { ManifestError } from '../manifests/manifest-error.js';
import type { DriverBackend } from '../backend/driver-backend.js';
import type { SimulatedDriver } from '../backend/simulated-backend.js';
import { StatusPublisher, type ConnectionOptions } from '../mqtt/status-publisher.js';
import { serveMqttApi, type MqttApiOptions } from './mqtt-api.js';
import type { StatePublisher, StatusPayload } from '../mqtt/contract.js';
import type { DashboardServer } from '../dashboard/dashboard-server.js';
import { FanOutPublisher } from './fan-out-publisher.js';
import { PublishQueue } from './publish-queue.js';
import { loadVehicle } from '../signals/signal-map.js';
import { frameBatchWindowMs } from '../signals/frame-batch-window.js';
import { SignalDecoder } from '../signals/signal-decoder.js';
import { Daemon, type DaemonObserver } from './daemon.js';
import type { CounterSource } from '../health/counter-source.js';
import { NetdevCounters } from '../health/netdev-counters.js';
import { probeInstance } from '../instance/instance-probe.js';
import { apiRoleBook, COMMAND_LINE, type PersonaConfig } from './config.js';

export interface DaemonOptions {
  logger: Logger;
  observer?: DaemonObserver;
  /** Paces the replay; the system clock by default. */
  clock?: Clock;
  /** Drivers from here instead of /dev/persona or the simulation (tests inject faults and drift). */
  backend?: DriverBackend;
  /** Decodes with this instead of a decoder of its own: whoever runs the daemon reads its counters (does the log match the vehicle?). */
  decoder?: SignalDecoder;
  /** Frames from here instead of the configured source (tests drive scripted frames). */
  source?: FrameSource;
  /** TLS material and credentials for the broker, and how reconnects back off. */
  connection?: Omit<ConnectionOptions, 'url'> & { reconnectMs?: { initial: number; max: number }; eventBuffer?: number };
  /** The ECU's load from here instead of /proc (tests script it). */
  workloadSampler?: { sample(): WorkloadInput };
  /** Driver counters for health bounds from here instead of the network devices' (tests script them). */
  counters?: CounterSource;
  /** Dashboard limits (tests make them small). */
  dashboard?: Pick<ConstructorParameters<typeof DashboardServer>[0], 'maxClients' | 'maxBufferedBytes' | 'flushMs' | 'heartbeatMs' | 'controlRate' | 'refusalReportRate'>;
  /** Request API limits (tests make the window of aggregated refusals short). */
  api?: MqttApiOptions;
  /** Keep the holds in `holdState` also in a run that publishes to no broker (one with a broker always does). */
  durableHolds?: boolean;
}

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** Where the daemon publishes: an MQTT broker, or anywhere else (an offline simulation). */
export type PublishTo = { brokerUrl: string } | { publisher: StatePublisher };

/**
 * The only place where the stages are wired together. Everything is loaded and checked
 * first; the returned function then creates the daemon, so that a bad configuration stops
 * persona before any broker is started or connected to. The modules of the backend, the
 * dashboard and the shared namespace are imported only when the configuration uses them:
 * each costs start-up time and memory that a daemon without it should not pay.
 */
export async function buildDaemon(config: PersonaConfig, options: DaemonOptions): Promise<(to: PublishTo) => Daemon> {
  const { logger } = options;
  const vehicle = loadVehicle(config.vehicle);
  for (const warning of vehicle.warnings) logger.warn(warning);
  if (vehicle.dbc.warnings.length > 0) logger.info(`${vehicle.dbc.file}: ${vehicle.dbc.warnings.length} warnings about sloppy but understood input (persona dbc lint --warnings lists them)`);
  const learned = vehicle.signals.filter((s) => s.maxAgeSource === 'observed').map((s) => s.vss);
  if (learned.length > 0) logger.info(`no cycle time in the map or the DBC for ${learned.join(', ')}: their maximum ages are learned from the bus`);
  const statechart = readJsonDocument(config.statechart, (f) => readFileSync(f, 'utf8'));
  const machine = createContextMachine(statechart, config.statechart);
  const policy = ContextPolicy.load(config.policy);
  // What the shared namespace gave this instance lives with its anti-rollback state, and is
  // loaded even when no namespace is configured any more: its versions are the ones trusted.
  const adoptedDir = join(dirname(config.manifestState), 'adopted');
  const store = loadStore(config, logger, adoptedDir);
  const { backend, note } = options.backend ? { backend: options.backend, note: undefined } : await openBackend(config, logger);
  checkPolicy(policy, store, backend);
  const holds = new HoldRegistry();
  const clock = options.clock ?? systemClock;
  const roles = apiRoleBook(config);
  const instance = probeInstance();
  logger.info(instance.virtualised ? `running in a guest of ${instance.hypervisor} (${instance.evidence.join(', ')}), ${instance.vcpus} vCPUs, ${instance.memoryMb} MB` : `running on bare metal, ${instance.vcpus} CPUs, ${instance.memoryMb} MB`);
  // A simulated driver has no device to count on.
  const counters = options.counters ?? (backend.kind === 'simulated' ? undefined : new NetdevCounters());
  const source =
    options.source ??
    createFrameSource(parseSourceSpec(config.can), {
      speed: config.speed,
      loop: config.loop,
      filters: [...new Set(vehicle.signals.map((s) => s.message))].map((m) => ({ id: m.id, extended: m.extended })),
      batchWindowMs: frameBatchWindowMs(vehicle),
      clock,
      logger: logger.child('can'),
    });
  // A replay as fast as possible has no "meanwhile" for the ECU's load to mean anything in.
  const workload = config.workloadIntervalMs > 0 && source.timeScale > 0 ? { sampler: options.workloadSampler ?? new WorkloadSampler({ clock }), intervalMs: config.workloadIntervalMs } : undefined;
  const online: StatusPayload = { state: 'online', backend: backend.kind, ...(note !== undefined ? { note } : {}) };
  const http = dashboardAddress(config);
  const dashboardParts = http ? { http, DashboardServer: (await import('../dashboard/dashboard-server.js')).DashboardServer, serveDashboardApi: (await import('./dashboard-api.js')).serveDashboardApi } : undefined;
  const openNamespace = config.namespace === undefined ? undefined : (await import('./open-namespace.js')).openNamespace;
  return (to) => {
    const output =
      'publisher' in to
        ? to.publisher
        : new StatusPublisher({
            url: to.brokerUrl,
            ...(options.connection ?? {}),
            ecuId: config.ecuId,
            online,
            logger: logger.child('mqtt'),
          });
    const dashboard = dashboardParts
      ? new dashboardParts.DashboardServer({ ...dashboardParts.http, ...options.dashboard, ecuId: config.ecuId, online, statechart, logger: logger.child('http'), onListening: (url) => options.observer?.dashboardListening?.(url) })
      : undefined;
    // The dashboard is fed the very payloads MQTT gets: one source of truth, two outputs. Everything
    // published, answers to requests included, goes through one queue, which the daemon holds
    // between a decision and its apply.
    const publisher = new PublishQueue(dashboard ? new FanOutPublisher([output, dashboard]) : output, logger.child('publish'));
    const namespace = openNamespace?.(config, output, publisher, store, adoptedDir, instance, clock, logger.child('namespace'));
    // An offline run (a simulation) keeps its holds in memory: it must neither decide by the
    // holds of the daemon on the car nor overwrite them.
    const holdState = 'brokerUrl' in to || options.durableHolds === true ? new HoldStateFile(config.holdState, logger.child('holds')) : undefined;
    const daemon = new Daemon(
    {
      source,
      decoder: options.decoder ?? new SignalDecoder(vehicle),
      features: new FeatureExtractor({ geometry: vehicle.geometry }),
      tracker: new ContextTracker(machine),
      arbiter: new Arbiter(policy, holds, policy.targets((id) => backend.drivers().find((d) => d.id === id)?.resources ?? [])),
      holds,
      ...(holdState ? { holdState } : {}),
      maxHolds: config.maxHolds,
      presenceLeaseMs: config.presenceLeaseSeconds * 1000,
      minSwitchIntervalMs: policy.minSwitchIntervalMs,
      standstillKmh: policy.standstillKmh,
      store,
      backend,
      publisher,
      sampleIntervalMs: config.sampleIntervalMs,
      clock,
      version: PACKAGE_VERSION,
      instance,
      onDrift: config.onDrift,
      ...(workload ? { workload: { sample: () => workload.sampler.sample(), intervalMs: workload.intervalMs } } : {}),
      ...(counters ? { counters } : {}),
      ...(namespace ? { namespace } : {}),
      logger,
    },
    options.observer,
  );
    if (output instanceof StatusPublisher) serveMqttApi(output, publisher, daemon, () => store, roles, clock, logger.child('api'), options.api);
    if (dashboard && dashboardParts) dashboardParts.serveDashboardApi(dashboard, daemon, () => store, publisher, clock, dashboardParts.http.token);
    return daemon;
  };
}

/** Where the dashboard listens, the names it answers and its control token, from `http`, `httpAllowedHosts`, `httpControl` and `httpTokenFile`; undefined when it is off. */
function dashboardAddress(config: PersonaConfig): { host: string; port: number; allowedHosts: string[]; token?: string } | undefined {
  const problems: DocumentProblem[] = [];
  let token: string | undefined;
  if (config.httpControl) {
    if (config.httpTokenFile === undefined) problems.push({ file: COMMAND_LINE, path: '/httpTokenFile', message: 'is required when httpControl is on: control needs an access token' });
    else {
      try {
        token = readFileSync(config.httpTokenFile, 'utf8').trim();
        if (token.length < 16) problems.push({ file: config.httpTokenFile, path: '', message: `the dashboard access token has ${token.length} characters; it needs at least 16` });
      } catch (err) {
        problems.push({ file: config.httpTokenFile, path: '', message: `cannot read the httpTokenFile: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      }
    }
    if (config.http === undefined) problems.push({ file: COMMAND_LINE, path: '/http', message: 'is required when httpControl is on: there is no dashboard to control' });
  }
  if (config.http === undefined) {
    if (problems.length > 0) throw new DocumentError(problems);
    return undefined;
  }
  const colon = config.http.lastIndexOf(':');
  const host = config.http.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(config.http.slice(colon + 1));
  if (!(port >= 1 && port <= 65535)) problems.push({ file: COMMAND_LINE, path: '/http', message: `port ${config.http.slice(colon + 1)} is not in 1–65535` });
  config.httpAllowedHosts.forEach((name, i) => {
    const named = /:(\d+)$/.exec(name)?.[1];
    if (named !== undefined && !(Number(named) >= 1 && Number(named) <= 65535)) problems.push({ file: COMMAND_LINE, path: `/httpAllowedHosts/${i}`, message: `port ${named} is not in 1–65535` });
  });
  if (problems.length > 0) throw new DocumentError(problems);
  return { host, port, allowedHosts: config.httpAllowedHosts, ...(token !== undefined ? { token } : {}) };
}

/**
 * The userspace backend chosen, over the manifest folder's drivers/<id>/sysfs.json or
 * ethtool.json; else the kernel module's backend when /dev/persona can be opened; otherwise,
 * unless kmod is required, the simulation, said loudly in the log and (as `note`) in status.
 */
async function openBackend(config: PersonaConfig, logger: Logger): Promise<{ backend: DriverBackend; note?: string }> {
  if (config.backend === 'sysfs') {
    const [{ SysfsBackend }, { parseSysfsMapping }, { readDriverMappings }] = await Promise.all([import('../backend/sysfs-backend.js'), import('../backend/sysfs-mapping.js'), import('../backend/mapping-files.js')]);
    return { backend: openUserspace('sysfs', () => new SysfsBackend(readDriverMappings(config.manifests, 'sysfs.json', parseSysfsMapping), { logger: logger.child('sysfs') })) };
  }
  if (config.backend === 'ethtool') {
    const [{ EthtoolBackend }, { parseEthtoolMapping }, { readDriverMappings }] = await Promise.all([import('../backend/ethtool-backend.js'), import('../backend/ethtool-mapping.js'), import('../backend/mapping-files.js')]);
    return { backend: openUserspace('ethtool', () => new EthtoolBackend(readDriverMappings(config.manifests, 'ethtool.json', parseEthtoolMapping), { logger: logger.child('ethtool') })) };
  }
  if (config.backend !== 'simulated') {
    const [{ KmodBackend }, { isKernelError }] = await Promise.all([import('../backend/kmod-backend.js'), import('../backend/addon-persona.js')]);
    try {
      return { backend: KmodBackend.open({ logger: logger.child('kmod') }) };
    } catch (err) {
      const why = isKernelError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      if (config.backend === 'kmod') throw new DocumentError([{ file: COMMAND_LINE, path: '/backend', message: `kmod backend required, but /dev/persona cannot be used: ${why}` }]);
      const note = `simulated backend: /dev/persona unusable (${why}); no driver is changed`;
      logger.warn(`${note}: parameters are kept in memory`);
      return { backend: await openSimulated(), note };
    }
  }
  logger.warn('using the simulated backend: parameters are kept in memory, no driver is changed');
  return { backend: await openSimulated(), note: 'simulated backend: no driver is changed' };
}

/** A userspace backend's drivers that cannot be read are a configuration problem of `backend`. */
function openUserspace(kind: 'sysfs' | 'ethtool', open: () => DriverBackend): DriverBackend {
  try {
    return open();
  } catch (err) {
    if (err instanceof DocumentError) throw err;
    throw new DocumentError([{ file: COMMAND_LINE, path: '/backend', message: `${kind} backend chosen, but its drivers cannot be read: ${(err as Error).message}` }]);
  }
}

/** The simulated pvnic driver, which keeps its values in memory. */
async function openSimulated(): Promise<DriverBackend> {
  const [{ SimulatedBackend }, { default: pvnic }] = await Promise.all([import('../backend/simulated-backend.js'), import('../backend/simulated-pvnic.json', { with: { type: 'json' } })]);
  return new SimulatedBackend([pvnic as unknown as SimulatedDriver]);
}

/** The signed manifests, checked against the trust root and the anti-rollback state; trust problems are configuration problems. */
function loadStore(config: PersonaConfig, logger: Logger, adoptedDir: string): ManifestStore {
  try {
    const rollback = RollbackState.open(config.manifestState);
    return ManifestStore.load(config.manifests, new SignedManifestVerifier(ConfinedFolder.within(config.trust, config.manifests), rollback), logger.child('manifests'), {
      rollback,
      ...(config.instanceProfile !== undefined ? { instanceProfile: config.instanceProfile } : {}),
      adoptedDir,
    });
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    throw new DocumentError([{ file: err.file, path: err.path ?? '', message: `${err.text} [${err.code}]` }]);
  }
}

/** Every personality the policy names must be loaded and fit its driver's version; drivers and resources must exist. */
function checkPolicy(policy: ContextPolicy, store: ManifestStore, backend: DriverBackend): void {
  const problems: DocumentProblem[] = [];
  for (const ref of policy.referencedPersonalities()) {
    const driver = backend.drivers().find((d) => d.id === ref.driverId);
    const personality = store.get(ref.driverId, ref.personality);
    const fail = (message: string): number => problems.push({ file: policy.file, path: ref.path, message });
    if (!driver) fail(`driver "${ref.driverId}" is not known to the ${backend.kind} backend`);
    else if (!personality) fail(`personality "${ref.personality}" has no valid manifest in ${store.dir}/${ref.driverId}`);
    else {
      try {
        store.checkCompatible(personality, driver.version);
      } catch (err) {
        if (!(err instanceof ManifestError)) throw err;
        fail(err.message);
      }
    }
  }
  for (const o of policy.resourceOverrides()) {
    const driver = backend.drivers().find((d) => d.id === o.driverId);
    if (driver && !driver.resources.includes(o.resource)) problems.push({ file: policy.file, path: o.path, message: `driver "${o.driverId}" has no resource "${o.resource}" (it has ${driver.resources.join(', ')})` });
  }
  if (problems.length > 0) throw new DocumentError(problems);
}
