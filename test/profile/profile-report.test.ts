import t from 'tap';
import simulatedPvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import { SimulatedClock } from '../../src/common/clock.js';
import { packageRoot } from '../../src/common/package-root.js';
import { parseManifest } from '../../src/manifests/manifest-validator.js';
import { ParameterMapping } from '../../src/manifests/parameter-mapping.js';
import { SCHEMA_HAS_HEALTH } from '../../src/profile/generated-manifest.js';
import { parseObjective, STANDARD_OBJECTIVES } from '../../src/profile/objectives.js';
import { gridPoints, parseSweptParameter } from '../../src/profile/parameter-grid.js';
import { buildProfileReport, type ProfileContext } from '../../src/profile/profile-report.js';
import { SimulatedTrafficProbe } from '../../src/profile/simulated-traffic-probe.js';
import { runSweep } from '../../src/profile/sweep.js';
import { workloadOf } from '../../src/profile/workload.js';
import { join } from 'node:path';

const driver = simulatedPvnic as unknown as SimulatedDriver;
const workload = workloadOf('steady, then a burst', [{ durationMs: 400, packetsPerSecond: 8000 }, { durationMs: 100, packetsPerSecond: 16000 }], 'ab'.repeat(32));
const parameters = [parseSweptParameter('interrupt_coalescence_time=0ms..4ms:3', driver), parseSweptParameter('DMA_buffer_size=32KB..128KB*2', driver)];
const points = gridPoints(parameters);
const mapping = ParameterMapping.find(join(packageRoot(), 'manifests'), 'pvnic')!;

/** A whole profile on the simulated clock: no waiting, the same numbers for the same seed. */
async function profile(seed: number, objectives = STANDARD_OBJECTIVES) {
  const clock = new SimulatedClock();
  const backend = new SimulatedBackend([driver]);
  const probe = new SimulatedTrafficProbe(clock, backend, 'pvnic', 'pvnic0', { seed });
  const progress: number[] = [];
  const sweep = await runSweep({ backend, probe, clock, driverId: 'pvnic', resource: 'pvnic0', points, workload, settleMs: 100, repeats: 3, seed, onProgress: (done) => progress.push(done) });
  const context: ProfileContext = {
    generator: 'persona profile',
    date: '2026-12-03T10:00:00Z',
    seed,
    driverId: 'pvnic',
    driverVersion: '1.0.0',
    kernel: 'simulated',
    resource: 'pvnic0',
    backend: 'simulated',
    workloadName: 'burst',
    workload,
    parameters,
    settleMs: 100,
    repeats: 3,
    axes: ['interrupts_per_s', 'added_latency_us'],
    objectives,
    manifestVersion: 3,
    healthWindowMs: 10_000,
  };
  return { sweep, report: buildProfileReport(context, points, sweep), backend, progress, clock };
}

void t.test('a sweep measures every point, reports progress, restores the driver and waits only on its clock', async (t) => {
  const { sweep, backend, progress, clock } = await profile(1);
  t.equal(sweep.samples.length, points.length * 3);
  t.same(progress, Array.from({ length: points.length * 3 }, (_, i) => i + 1));
  t.same([...sweep.order].sort(), points.map((_, i) => i), 'each point once, in a shuffled order');
  t.not(sweep.order.join(), points.map((_, i) => i).join(), 'the seed moved them');
  t.same(backend.read('pvnic', 'pvnic0'), driver.initial, 'the driver has its values back');
  t.equal(clock.now(), points.length * (100 + 3 * 500), 'settle plus three workload replays per point, on the simulated clock');
  t.ok(sweep.samples.every((s) => s.windowMs === 500), 'each window is one replay of the workload');
});

void t.test('the same seed gives the same profile; another seed other samples', async (t) => {
  const [a, b, c] = [await profile(5), await profile(5), await profile(6)];
  t.equal(a.report.profileJson, b.report.profileJson);
  t.not(JSON.stringify(a.sweep.samples), JSON.stringify(c.sweep.samples));
});

void t.test('the physics: with a ring big enough, more coalescing means fewer interrupts and more latency', async (t) => {
  const { report } = await profile(1);
  const at = (ms: number, kb: number) => report.points.find((p) => p.swept.interrupt_coalescence_time === ms * 1e6 && p.swept.DMA_buffer_size === kb * 1024)!;
  const big = [0, 2, 4].map((ms) => at(ms, 128));
  t.ok(big[0]!.metrics.interrupts_per_s.median > big[1]!.metrics.interrupts_per_s.median && big[1]!.metrics.interrupts_per_s.median > big[2]!.metrics.interrupts_per_s.median, 'interrupts/s fall');
  t.ok(big[0]!.metrics.added_latency_us.median < big[1]!.metrics.added_latency_us.median && big[1]!.metrics.added_latency_us.median < big[2]!.metrics.added_latency_us.median, 'latency rises');
  t.ok(at(4, 32).metrics.rx_dropped_per_s.median > 0 && !at(4, 32).lossless, '32KB under 4 ms of coalescing drops');
  t.ok(at(0, 64).lossless, '64KB is plenty without coalescing');
  t.ok(report.points.every((p) => p.metrics.added_latency_us.min <= p.metrics.added_latency_us.median && p.metrics.added_latency_us.median <= p.metrics.added_latency_us.max), 'spread brackets the median');
});

void t.test('the Pareto front holds the loss-free points nothing beats on both axes', async (t) => {
  const { report } = await profile(1);
  t.ok(report.front.length >= 2);
  for (const p of report.front) {
    t.ok(p.lossless);
    const beaten = report.points.some((q) => q.lossless && q !== p && q.metrics.interrupts_per_s.median <= p.metrics.interrupts_per_s.median && q.metrics.added_latency_us.median < p.metrics.added_latency_us.median);
    t.notOk(beaten, `${JSON.stringify(p.swept)} is not dominated`);
  }
  const xs = report.front.map((p) => p.metrics.interrupts_per_s.median);
  t.same(xs, xs.toSorted((a, b) => a - b), 'ordered by interrupts/s');
});

void t.test('generated manifests pass the schema and the mapping, with provenance and the health bounds', async (t) => {
  const { report } = await profile(1, [...STANDARD_OBJECTIVES, parseObjective('lowirq:interrupts_per_s,added_latency_us<=1500'), parseObjective('impossible:power_mw,added_latency_us<=1')]);
  t.same(report.personalities.map((p) => p.name), ['performance', 'balanced', 'powersave', 'lowirq']);
  t.same(report.unmet, ['impossible'], 'an objective no point meets generates nothing and is reported');
  const profileDigest = (await import('node:crypto')).createHash('sha256').update(report.profileJson).digest('hex');
  for (const p of report.personalities) {
    const document = parseManifest(Buffer.from(p.json), `${p.name}.json`);
    mapping.check(document.parameters, `${p.name}.json`);
    t.equal(document.version, 3);
    const manifest = JSON.parse(p.json) as { provenance: { profile: { digest: string; seed: number; workload: string } }; parameters: Record<string, unknown>; health?: unknown };
    t.equal(manifest.provenance.profile.digest, `sha256:${profileDigest}`, `${p.name} names profile.json by digest`);
    t.equal(manifest.provenance.profile.workload, `sha256:${'ab'.repeat(32)}`);
    t.same(Object.keys(manifest.parameters), ['interrupt_coalescence_time', 'DMA_buffer_size', 'power_saving_mode', 'feature_set'], 'every parameter as measured, not only the swept ones');
    t.equal('health' in manifest, SCHEMA_HAS_HEALTH, 'health in the manifest exactly when the schema has it');
    t.same(Object.keys(p.health.bounds).sort(), ['added_latency_us', 'interrupts_per_s', 'rx_dropped_per_s']);
    t.equal(p.health.windowMs, 10_000);
    t.ok(p.health.bounds.added_latency_us!.max! >= p.point.metrics.added_latency_us.max, 'the latency bound holds every sample');
  }
  const by = (name: string) => report.personalities.find((p) => p.name === name)!.point;
  t.equal(by('performance').swept.interrupt_coalescence_time, 0, 'performance: no coalescing');
  t.ok(by('lowirq').metrics.added_latency_us.median <= 1500);
  t.ok(by('powersave').metrics.power_mw.median <= Math.min(...report.points.filter((p) => p.lossless).map((p) => p.metrics.power_mw.median)));
  const recorded = JSON.parse(report.profileJson) as { objectives: Array<{ name: string; point: number | null }>; samples: unknown[]; seed: number };
  t.same(recorded.objectives.map((o) => [o.name, o.point === null]), [['performance', false], ['balanced', false], ['powersave', false], ['lowirq', false], ['impossible', true]]);
  t.equal(recorded.samples.length, points.length * 3);
});

void t.test('the plot marks the points, the front and the generated manifests', async (t) => {
  const { report } = await profile(1);
  t.match(report.svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.equal(report.svg.match(/<circle [^>]*r="5"[^>]*><title>/g)?.length, points.length, 'one marker per point, its values in its tooltip');
  t.match(report.svg, /<polyline points="[^"]+" fill="none" stroke="#dc2626"/, 'the front');
  for (const name of ['performance', 'balanced', 'powersave']) t.match(report.svg, new RegExp(`>${name}</text>`));
  t.notMatch(report.svg, /NaN|undefined/);
});

void t.test('objectives: a bad one names the flag and the problem', (t) => {
  t.same(parseObjective('lowirq:interrupts_per_s,added_latency_us<=50,rx_packets_per_s>=7000'), {
    name: 'lowirq',
    minimise: 'interrupts_per_s',
    constraints: [{ metric: 'added_latency_us', op: '<=', value: 50 }, { metric: 'rx_packets_per_s', op: '>=', value: 7000 }],
  });
  t.throws(() => parseObjective('Fast:power_mw'), { message: /^--objective Fast:power_mw: expected NAME:METRIC/ });
  t.throws(() => parseObjective('fast:watts'), { message: /"watts" is not a metric/ });
  t.throws(() => parseObjective('fast:power_mw,added_latency_us<50'), { message: /"added_latency_us<50" is not a constraint/ });
  t.end();
});

void t.test('provenance is checked like every other field: an unknown key or a bad digest is refused at its path', async (t) => {
  const { report } = await profile(1);
  const manifest = JSON.parse(report.personalities[0]!.json) as { provenance: Record<string, unknown> & { profile: Record<string, unknown> } };
  const withExtra = { ...manifest, provenance: { ...manifest.provenance, tuner: 'me' } };
  t.throws(() => parseManifest(Buffer.from(JSON.stringify(withExtra)), 'x.json'), { code: 'E_SCHEMA', path: '/provenance/tuner' });
  const badDigest = { ...manifest, provenance: { ...manifest.provenance, profile: { ...manifest.provenance.profile, digest: 'md5:00' } } };
  t.throws(() => parseManifest(Buffer.from(JSON.stringify(badDigest)), 'x.json'), { code: 'E_SCHEMA', path: '/provenance/profile/digest' });
});
