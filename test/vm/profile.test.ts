/**
 * `persona profile` on the real pvnic in QEMU: a short two-parameter sweep through KmodBackend,
 * with the load set through pvnic's debugfs rate knob and the counters read with ethtool. The
 * result must show the physics (more coalescing: fewer interrupts, more latency; a small ring
 * under long coalescing drops), the generated manifests must pass `persona manifest lint` and
 * the driver's mapping, and the driver must end as it started. The artefacts are copied to
 * dist/vm-profile/out/, where they are linted, and where the plot can be looked at.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { buildKmod, kmodAvailable, kmodKernel } from './kmod-build.js';
import { bootVm, kernelProblems, type Vm } from './vm-harness.js';

const root = packageRoot();
const CLI = `${process.execPath} ${join(root, 'dist/src/cli/main.js')}`;
// The guest sees the host's tree read-only: the workload goes under dist/, results come back as output.
const FIXTURES = join(root, 'dist/vm-profile');
const GUEST_OUT = '/tmp/profile';
const COALESCING = ['0s', '2ms', '4ms'];
const RINGS = ['64KB', '256KB'];
const REPEATS = 2;
const OUTPUTS = ['profile.json', 'trade-off.svg', 'manifests/performance.json', 'manifests/balanced.json', 'manifests/powersave.json'];
const SYSFS = (f: string): string => `/sys/class/net/pvnic0/pvnic/${f}`;
const CONFIG = `for f in interrupt_coalescence_time DMA_buffer_size power_saving_mode feature_set; do echo "$f $(cat ${SYSFS('$f')})"; done`;

interface Spread {
  median: number;
  min: number;
  max: number;
}
interface Profile {
  seed: number;
  kernel: string;
  driver: { id: string; version: string };
  samples: unknown[];
  sweep: { wallMs: number };
  points: Array<{ swept: Record<string, string>; lossless: boolean; metrics: Record<string, Spread> }>;
  paretoFront: number[];
  objectives: Array<{ name: string; point: number | null; health: unknown }>;
}

const availability = kmodAvailable();
if (!availability.ok) {
  // A missing QEMU, kernel, headers or tool is a failure in CI, never a silent skip.
  if (process.env.CI) t.fail(availability.reason);
  else t.pass('persona profile on a real kernel', { skip: availability.reason });
} else {
  t.setTimeout(300_000);
  let vm: Vm | undefined;
  const booted = (): Vm => {
    if (!vm) throw new Error('the VM did not boot');
    return vm;
  };
  t.teardown(async () => {
    await vm?.shutdown();
  });

  void t.test('boots with persona.ko and persona_vnic.ko built with sparse and W=1, and debugfs', async (t) => {
    const kernel = kmodKernel();
    const build = buildKmod(root, kernel);
    t.same(build.warnings, [], 'no compiler or sparse warning');
    vm = await bootVm({ kernel: kernel.image, modules: [build.modules.persona, build.modules.vnic], log: (line) => t.comment(line) });
    const r = await vm.run('mount -t debugfs none /sys/kernel/debug');
    t.equal(r.exitCode, 0, r.output);
  });

  void t.test("pvnic's rate knob takes 0 to 1,000,000 packets/s and refuses anything else, changing nothing", async (t) => {
    const knob = '/sys/kernel/debug/pvnic/pvnic0/rx_rate_pps';
    const r = await booted().run(`cat ${knob}; echo 12000 >${knob} && cat ${knob}; for v in 1000001 -1 abc; do echo $v >${knob} 2>/dev/null && echo "took $v"; done; cat ${knob}; echo 8000 >${knob}`);
    t.equal(r.output, '8000\n12000\n12000\n', 'default 8000; 12000 taken; 1000001, -1 and abc refused and the rate kept');
  });

  void t.test('a short sweep shows the physics and generates manifests that lint', async (t) => {
    mkdirSync(FIXTURES, { recursive: true });
    const workload = join(FIXTURES, 'steady.json');
    writeFileSync(workload, JSON.stringify({ description: 'A steady 8,000 packets/s for half a second.', steps: [{ durationMs: 500, packetsPerSecond: 8000 }] }));
    const before = await booted().run(CONFIG);
    const command = `${CLI} profile --driver pvnic --resource pvnic0 --param interrupt_coalescence_time=${COALESCING.join(',')} --param DMA_buffer_size=${RINGS.join(',')} --workload ${workload} --repeat ${REPEATS} --settle 100ms --seed 7 --out ${GUEST_OUT}`;
    const run = await booted().run(command, { timeoutMs: 120_000 });
    t.equal(run.exitCode, 0, run.exitCode === 0 ? 'persona profile exits 0' : run.output);
    t.match(run.output, /\] 6\/6 points, /, 'the progress bar counts points to the end');
    // Everything the run wrote, in one round trip; linted on the host, which is faster than node in TCG.
    const files = await booted().run(`cd ${GUEST_OUT} && for f in ${OUTPUTS.join(' ')}; do echo "=== $f"; cat "$f"; done`);
    t.equal(files.exitCode, 0, files.exitCode === 0 ? 'its outputs read back' : files.output);
    for (const part of files.output.split(/^=== /m).slice(1)) {
      const newline = part.indexOf('\n');
      mkdirSync(join(FIXTURES, 'out/manifests'), { recursive: true });
      writeFileSync(join(FIXTURES, 'out', part.slice(0, newline)), part.slice(newline + 1));
    }
    const profile = JSON.parse(readFileSync(join(FIXTURES, 'out/profile.json'), 'utf8')) as Profile;
    t.equal(profile.kernel, booted().kernelRelease, 'the profile names the kernel');
    t.same([profile.seed, profile.driver], [7, { id: 'pvnic', version: '1.0.0' }], 'and the seed and driver');
    t.equal(profile.samples.length, COALESCING.length * RINGS.length * REPEATS, 'every sample is kept');
    t.comment(`sweep of ${COALESCING.length * RINGS.length} points × ${REPEATS} samples: ${(profile.sweep.wallMs / 1000).toFixed(1)} s in the VM (${(run.durationMs / 1000).toFixed(1)} s with node's start)`);

    const at = (coalescing: string, ring: string): Profile['points'][number] => {
      const point = profile.points.find((p) => p.swept.interrupt_coalescence_time === coalescing && p.swept.DMA_buffer_size === ring);
      if (!point) throw new Error(`no point ${coalescing} ${ring}`);
      return point;
    };
    const big = COALESCING.map((c) => at(c, '256KB'));
    for (const p of big) t.comment(`${p.swept.interrupt_coalescence_time} 256KB: ${p.metrics.interrupts_per_s!.median.toFixed(0)} interrupts/s, ${p.metrics.added_latency_us!.median.toFixed(0)} µs, ${p.metrics.rx_dropped_per_s!.median.toFixed(1)} drops/s`);
    for (let i = 1; i < big.length; i++) {
      const [shorter, longer] = [big[i - 1]!, big[i]!];
      const what = `${shorter.swept.interrupt_coalescence_time} → ${longer.swept.interrupt_coalescence_time}`;
      t.ok(longer.metrics.interrupts_per_s!.median < shorter.metrics.interrupts_per_s!.median, `${what}: interrupts/s fall`);
      t.ok(longer.metrics.added_latency_us!.median > shorter.metrics.added_latency_us!.median, `${what}: latency rises`);
    }
    t.ok(big.every((p) => p.lossless), 'a 256KB ring (128 entries) loses nothing at up to 4 ms');
    const small = at('4ms', '64KB');
    t.ok(small.metrics.rx_dropped_per_s!.median > 0 && !small.lossless, `a 64KB ring (32 entries) under 4 ms of coalescing drops (${small.metrics.rx_dropped_per_s!.median.toFixed(0)}/s)`);
    t.ok(profile.paretoFront.length >= 2, 'the Pareto front has the trade-off in it');

    const manifests = OUTPUTS.filter((f) => f.startsWith('manifests/')).map((f) => join(FIXTURES, 'out', f));
    const lint = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'manifest', 'lint', ...manifests], { encoding: 'utf8' });
    t.equal(lint.status, 0, lint.stderr);
    t.same(
      lint.stdout.trim().split('\n').map((l) => l.replace(/^.*\/manifests\//, '')).sort(),
      ['balanced.json: ok pvnic/balanced v1, 4 parameters', 'performance.json: ok pvnic/performance v1, 4 parameters', 'powersave.json: ok pvnic/powersave v1, 4 parameters'],
      'performance, balanced and powersave pass persona manifest lint: the schema and the mapping',
    );
    const performance = JSON.parse(readFileSync(manifests.find((f) => f.endsWith('performance.json'))!, 'utf8')) as { parameters: Record<string, string>; provenance: { profile: { kernel: string } } };
    t.equal(performance.parameters.interrupt_coalescence_time, '0s', 'performance is the lowest latency: no coalescing');
    t.equal(performance.provenance.profile.kernel, booted().kernelRelease, 'its provenance names the kernel');
    t.comment(`plot: ${join(FIXTURES, 'out/trade-off.svg')}`);

    const after = await booted().run(CONFIG);
    t.equal(after.output, before.output, 'the driver has its own values back');
  });

  void t.test('the kernel log is clean', async (t) => {
    t.same(kernelProblems(await booted().dmesg()), []);
  });
}
