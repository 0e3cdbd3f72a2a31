import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { manifestCommand } from '../../src/cli/manifest-command.js';
import { EXIT_CONFIG, UsageError, type Output } from '../../src/cli/output.js';
import { profileCommand } from '../../src/cli/profile-command.js';
import { packageRoot } from '../../src/common/package-root.js';

const WORKLOAD = join(packageRoot(), 'examples/workloads/pvnic-city.json');

function capture(): Output & { printed: string[]; logged: string[] } {
  const printed: string[] = [];
  const logged: string[] = [];
  return { printed, logged, print: (line) => printed.push(line), log: (line) => logged.push(line) };
}

const sweep = (out: string, ...extra: string[]): string[] => [
  '--backend', 'simulated', '--driver', 'pvnic',
  '--param', 'interrupt_coalescence_time=0ms..4ms:3', '--param', 'DMA_buffer_size=32KB..128KB*2',
  '--repeat', '2', '--out', out, '--workload', WORKLOAD, ...extra,
];

void t.test('a simulated profile writes profile.json, the plot and manifests that persona manifest lint accepts', async (t) => {
  const dir = t.testdir();
  const out = capture();
  t.equal(await profileCommand(sweep(dir, '--objective', 'lowirq:interrupts_per_s,added_latency_us<=2000', '--version', '4'), out), 0, out.logged.join('\n'));
  t.match(out.logged[0], /^profiling pvnic 1\.0\.0 on pvnic0 \(simulated backend\): 9 points × 2 samples of 1000 ms, at least 0\.3 min$/);
  t.match(out.printed[0], /^swept 9 points × 2 samples in 19\.8 s; \d+ on the Pareto front$/, 'on the simulated clock: 9 × (200 ms + 2 × 1 s)');
  const names = ['performance', 'balanced', 'powersave', 'lowirq'];
  t.same(out.printed.slice(3).map((l) => l.slice(dir.length + 1).replace(/\.json: .*/, '')), names.map((n) => `manifests/${n}`));
  t.match(out.printed[3], /manifests\/performance\.json: interrupt_coalescence_time 0s, DMA_buffer_size \d+KB: \d+ µs, 1000 interrupts\/s, 0 drops\/s, ~\d+ mW$/);
  const profile = JSON.parse(readFileSync(join(dir, 'profile.json'), 'utf8')) as { samples: unknown[]; kernel: string; backend: string };
  t.same([profile.samples.length, profile.kernel, profile.backend], [18, 'simulated', 'simulated']);
  t.match(readFileSync(join(dir, 'trade-off.svg'), 'utf8'), /<svg /);
  const lint = capture();
  t.equal(manifestCommand(['lint', ...names.map((n) => join(dir, 'manifests', `${n}.json`))], lint), 0, lint.logged.join('\n'));
  t.same(lint.printed.map((l) => l.replace(/^.*manifests\//, '')), names.map((n) => `${n}.json: ok pvnic/${n} v4, 4 parameters`));
});

void t.test('an objective nothing meets is reported, generates nothing, and fails the run', async (t) => {
  const dir = t.testdir();
  const out = capture();
  t.equal(await profileCommand(sweep(dir, '--objective', 'instant:power_mw,added_latency_us<=1'), out), 1);
  t.same(out.logged.slice(1), ['objective instant: no loss-free point meets it; no manifest generated']);
});

void t.test('bad flags name the flag and change nothing', async (t) => {
  const dir = t.testdir();
  const refused: Array<[string[], RegExp]> = [
    [['--driver', 'pvnic', '--workload', WORKLOAD], /--driver, --param and --workload are required/],
    [['--driver', 'nvme0', '--param', 'x=1', '--workload', WORKLOAD], /--driver nvme0: only pvnic has a traffic probe/],
    [sweep(dir, '--repeat', '0'), /--repeat 0: expected an integer from 1 to 1000/],
    [sweep(dir, '--settle', '1.5s'), /--settle "1\.5s": not a duration/],
    [sweep(dir, '--health-window', '10ms'), /--health-window 10ms: expected whole milliseconds from 100 to 600000/],
    [sweep(dir, '--settle', '1500us'), /--settle 1500us: expected whole milliseconds from 0 to 600000/],
    [sweep(dir, '--metric', 'power_mw'), /give --metric twice/],
    [sweep(dir, '--metric', 'watts', '--metric', 'power_mw'), /--metric watts: expected one of interrupts_per_s, /],
    [sweep(dir, '--objective', 'balanced:power_mw'), /--objective balanced: the name is taken/],
    [sweep(dir, '--objective', 'fast'), /--objective fast: expected NAME:METRIC/],
    [sweep(dir, '--backend', 'sysfs'), /--backend sysfs: expected kmod or simulated/],
    [sweep(dir, '--resource', 'eth0'), /--resource eth0: pvnic has pvnic0, pvnic1/],
    [[...sweep(dir), '--param', 'interrupt_coalescence_time=1500ns'], /interrupt_coalescence_time is given twice/],
    [['--backend', 'simulated', '--driver', 'pvnic', '--param', 'interrupt_coalescence_time=1500ns', '--workload', WORKLOAD, '--out', dir], /--param: .*1500ns is not a whole number of us, the unit of rx-usecs/],
  ];
  for (const [args, message] of refused) await t.rejects(profileCommand(args, capture()), { constructor: UsageError, message }, args.join(' '));
  t.same(readdirSync(dir), [], 'nothing written');
});

void t.test('a bad workload file is reported with its path and problem', async (t) => {
  const dir = t.testdir({ 'bad.json': JSON.stringify({ description: 'x', steps: [{ durationMs: 0, packetsPerSecond: 8000 }] }) });
  const out = capture();
  // The last --workload counts.
  t.equal(await profileCommand(sweep(join(dir, 'out'), '--workload', join(dir, 'bad.json')), out), EXIT_CONFIG);
  t.same(out.logged, [`${join(dir, 'bad.json')}: /steps/0/durationMs: must be >= 1`]);
  const missing = capture();
  t.equal(await profileCommand(sweep(join(dir, 'out'), '--workload', join(dir, 'none.json')), missing), EXIT_CONFIG);
  t.same(missing.logged, [`${join(dir, 'none.json')}: /: file not found`]);
});
