import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import simulatedPvnic from '../backend/simulated-pvnic.json' with { type: 'json' };
import type { DriverBackend } from '../backend/driver-backend.js';
import { KmodBackend } from '../backend/kmod-backend.js';
import { SimulatedBackend, type SimulatedDriver } from '../backend/simulated-backend.js';
import { SimulatedClock, systemClock, type Clock } from '../common/clock.js';
import { packageRoot } from '../common/package-root.js';
import { DocumentError } from '../common/schema.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { ParameterMapping } from '../manifests/parameter-mapping.js';
import { formatParameter, type ParameterValues } from '../manifests/personality.js';
import { formatTimestamp } from '../manifests/timestamp.js';
import { parseDuration, UnitError } from '../manifests/units.js';
import { ObjectiveError, parseObjective, STANDARD_OBJECTIVES, type Objective } from '../profile/objectives.js';
import { gridPoints, ParameterSpecError, parseSweptParameter } from '../profile/parameter-grid.js';
import { buildProfileReport } from '../profile/profile-report.js';
import { isMetricName, METRIC_LABELS, METRIC_NAMES, type MetricName } from '../profile/pvnic-metrics.js';
import { PvnicTrafficProbe } from '../profile/pvnic-traffic-probe.js';
import { SimulatedTrafficProbe } from '../profile/simulated-traffic-probe.js';
import { runSweep } from '../profile/sweep.js';
import type { TrafficProbe } from '../profile/traffic-probe.js';
import { readWorkload } from '../profile/workload.js';
import { EXIT_CONFIG, EXIT_FAILURE, UsageError, type Output } from './output.js';
import { ProgressBar } from './progress-bar.js';

export const PROFILE_HELP = `persona profile --driver pvnic --param NAME=VALUES [--param …] --workload FILE [options]
  sweep a live driver's parameters under a workload, and generate unsigned personalities
  VALUES: a list (disabled,balanced), a range LOW..HIGH[:STEPS] (0us..200us:5) or LOW..HIGH*FACTOR (16KB..256KB*2)
  --resource DEV        the device to profile (default: the driver's first, pvnic0)
  --metric X --metric Y the trade-off to plot and the Pareto front's metrics (default interrupts_per_s, added_latency_us)
  --objective NAME:METRIC[,METRIC<=N…]  a personality minimising METRIC under constraints, besides
                        performance, balanced and powersave (e.g. lowirq:interrupts_per_s,added_latency_us<=1500)
  --repeat N            samples per point (default 3)     --settle DURATION   after each apply (default 200ms)
  --seed N              orders the points (default 1)      --version N         of the generated manifests (default 1)
  --health-window DURATION  the window of the health bounds (default 10s)
  --out DIR             profile.json, trade-off.svg, manifests/<name>.json (default profile-<driver>)
  --backend kmod|simulated  the kernel module (default; root, debugfs) or its simulation on a simulated clock
  --manifests DIR       where the driver's mapping is (default: the package's manifests/)
`;

const GENERATOR = 'persona profile';
const DEFAULT_AXES: readonly [MetricName, MetricName] = ['interrupts_per_s', 'added_latency_us'];

export async function profileCommand(args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      driver: { type: 'string' },
      param: { type: 'string', multiple: true },
      workload: { type: 'string' },
      resource: { type: 'string' },
      metric: { type: 'string', multiple: true },
      objective: { type: 'string', multiple: true },
      repeat: { type: 'string', default: '3' },
      settle: { type: 'string', default: '200ms' },
      seed: { type: 'string', default: '1' },
      version: { type: 'string', default: '1' },
      'health-window': { type: 'string', default: '10s' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'kmod' },
      manifests: { type: 'string' },
    },
    strict: true,
  });
  if (values.driver === undefined || values.param === undefined || values.workload === undefined) {
    throw new UsageError(`profile: --driver, --param and --workload are required\n\n${PROFILE_HELP}`);
  }
  if (values.driver !== 'pvnic') throw new UsageError(`profile: --driver ${values.driver}: only pvnic has a traffic probe (load and counters) so far`);
  const repeats = integer('--repeat', values.repeat, 1, 1000);
  const seed = integer('--seed', values.seed, 0, 0xffffffff);
  const manifestVersion = integer('--version', values.version, 1, 2147483647);
  const settleMs = duration('--settle', values.settle, 0, 600_000);
  const healthWindowMs = duration('--health-window', values['health-window'], 100, 600_000);
  const axes = metricAxes(values.metric);
  const objectives = [...STANDARD_OBJECTIVES, ...(values.objective ?? []).map(objective)];
  const names = new Set<string>();
  for (const o of objectives) {
    if (names.has(o.name)) throw new UsageError(`profile: --objective ${o.name}: the name is taken`);
    names.add(o.name);
  }
  if (values.backend !== 'kmod' && values.backend !== 'simulated') throw new UsageError(`profile: --backend ${values.backend}: expected kmod or simulated`);

  let workload;
  try {
    workload = readWorkload(values.workload);
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    out.log(error.message);
    return EXIT_CONFIG;
  }

  const clock: Clock = values.backend === 'simulated' ? new SimulatedClock() : systemClock;
  const backend: DriverBackend = values.backend === 'simulated' ? new SimulatedBackend([simulatedPvnic as unknown as SimulatedDriver]) : openKernelBackend();
  try {
    const driver = backend.drivers().find((d) => d.id === values.driver);
    if (!driver) throw new UsageError(`profile: --driver ${values.driver}: not registered with the ${backend.kind} backend (drivers: ${backend.drivers().map((d) => d.id).join(', ') || 'none'})`);
    const resource = values.resource ?? driver.resources[0] ?? '';
    if (!driver.resources.includes(resource)) throw new UsageError(`profile: --resource ${resource}: ${driver.id} has ${driver.resources.join(', ')}`);
    const parameters = values.param.map((spec) => sweptParameter(spec, driver));
    const points = sweptPoints(parameters, values.manifests ?? join(packageRoot(), 'manifests'), driver.id);
    const probe: TrafficProbe = values.backend === 'simulated'
      ? new SimulatedTrafficProbe(clock, backend, driver.id, resource, { seed })
      : new PvnicTrafficProbe(resource, { now: () => clock.now() });
    const estimateMs = points.length * (settleMs + repeats * workload.durationMs);
    out.log(`profiling ${driver.id} ${driver.version} on ${resource} (${backend.kind} backend): ${points.length} points × ${repeats} samples of ${workload.durationMs} ms, at least ${(estimateMs / 60_000).toFixed(1)} min`);

    const progress = new ProgressBar((text) => process.stderr.write(text), process.stderr.isTTY, repeats);
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    let sweep;
    try {
      sweep = await runSweep({ backend, probe, clock, driverId: driver.id, resource, points, workload, settleMs, repeats, seed, signal: abort.signal, onProgress: (d, t, e) => progress.update(d, t, e) });
    } catch (error) {
      progress.finish();
      if (!abort.signal.aborted) throw error;
      out.log(`interrupted: nothing written; ${driver.id} on ${resource} has its values back`);
      return EXIT_FAILURE;
    } finally {
      process.off('SIGINT', onSignal);
    }
    progress.finish();

    const report = buildProfileReport(
      {
        generator: GENERATOR,
        date: formatTimestamp(Date.now()),
        seed,
        driverId: driver.id,
        driverVersion: driver.version,
        kernel: values.backend === 'simulated' ? 'simulated' : release(),
        resource,
        backend: backend.kind,
        workloadName: basename(values.workload).replace(/\.json$/, ''),
        workload,
        parameters,
        settleMs,
        repeats,
        axes,
        objectives,
        manifestVersion,
        healthWindowMs,
      },
      points,
      sweep,
    );
    const dir = values.out ?? `profile-${driver.id}`;
    mkdirSync(join(dir, 'manifests'), { recursive: true });
    writeFileSync(join(dir, 'profile.json'), report.profileJson);
    writeFileSync(join(dir, 'trade-off.svg'), report.svg);
    out.print(`swept ${points.length} points × ${repeats} samples in ${(sweep.wallMs / 1000).toFixed(1)} s; ${report.front.length} on the Pareto front`);
    out.print(`${join(dir, 'profile.json')}: every sample`);
    out.print(`${join(dir, 'trade-off.svg')}: ${METRIC_LABELS[axes[1]]} vs ${METRIC_LABELS[axes[0]]}`);
    for (const p of report.personalities) {
      const file = join(dir, 'manifests', `${p.name}.json`);
      writeFileSync(file, p.json);
      const shown = Object.entries(p.point.swept).map(([name, value]) => `${name} ${formatParameter(name, value)}`).join(', ');
      const m = p.point.metrics;
      out.print(`${file}: ${shown}: ${m.added_latency_us.median.toFixed(0)} µs, ${m.interrupts_per_s.median.toFixed(0)} interrupts/s, ${m.rx_dropped_per_s.median.toFixed(0)} drops/s, ~${m.power_mw.median.toFixed(0)} mW`);
    }
    for (const name of report.unmet) out.log(`objective ${name}: no loss-free point meets it; no manifest generated`);
    return report.unmet.length > 0 ? EXIT_FAILURE : 0;
  } finally {
    await backend.stop();
  }
}

/** /dev/persona, or why not: persona.ko missing (ENOENT) or not root (EACCES). */
function openKernelBackend(): KmodBackend {
  try {
    return KmodBackend.open();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    throw new UsageError(`profile: ${(error as Error).message}; profiling needs persona.ko loaded and root, or --backend simulated`);
  }
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < min || n > max) throw new UsageError(`profile: ${flag} ${text}: expected an integer from ${min} to ${max}`);
  return n;
}

function duration(flag: string, text: string, minMs: number, maxMs: number): number {
  let ms: number;
  try {
    ms = parseDuration(text) / 1e6;
  } catch (error) {
    if (error instanceof UnitError) throw new UsageError(`profile: ${flag} ${error.message}`);
    throw error;
  }
  if (!Number.isInteger(ms) || ms < minMs || ms > maxMs) throw new UsageError(`profile: ${flag} ${text}: expected whole milliseconds from ${minMs} to ${maxMs}`);
  return ms;
}

function metricAxes(metrics: readonly string[] | undefined): readonly [MetricName, MetricName] {
  if (metrics === undefined) return DEFAULT_AXES;
  const [x, y, ...rest] = metrics;
  for (const m of metrics) if (!isMetricName(m)) throw new UsageError(`profile: --metric ${m}: expected one of ${METRIC_NAMES.join(', ')}`);
  if (x === undefined || y === undefined || rest.length > 0 || x === y) throw new UsageError('profile: give --metric twice, two different metrics: x then y of the trade-off');
  return [x as MetricName, y as MetricName];
}

function objective(spec: string): Objective {
  try {
    return parseObjective(spec);
  } catch (error) {
    if (error instanceof ObjectiveError) throw new UsageError(`profile: ${error.message}`);
    throw error;
  }
}

function sweptParameter(spec: string, driver: Parameters<typeof parseSweptParameter>[1]): ReturnType<typeof parseSweptParameter> {
  try {
    return parseSweptParameter(spec, driver);
  } catch (error) {
    if (error instanceof ParameterSpecError) throw new UsageError(`profile: ${error.message}`);
    throw error;
  }
}

/** The grid, each point checked against the driver's mapping: generated manifests must pass it. */
function sweptPoints(parameters: ReturnType<typeof parseSweptParameter>[], manifests: string, driverId: string): ParameterValues[] {
  let points: ParameterValues[];
  try {
    points = gridPoints(parameters);
  } catch (error) {
    if (error instanceof ParameterSpecError) throw new UsageError(`profile: ${error.message}`);
    throw error;
  }
  const mapping = ParameterMapping.find(manifests, driverId);
  if (mapping === undefined) throw new UsageError(`profile: --manifests ${manifests}: no mapping for ${driverId}, so generated manifests could not be checked`);
  for (const point of points) {
    try {
      mapping.check(point, '--param');
    } catch (error) {
      if (error instanceof ManifestError) throw new UsageError(`profile: ${error.message}`);
      throw error;
    }
  }
  return points;
}
