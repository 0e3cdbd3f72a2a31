/* eslint-disable no-console -- the benchmark's report */
/**
 * CPU share of receiving a live bus at 2,000 frames/s, in the QEMU VM of the SocketCAN tests
 * (TCG: every figure is slower than on hardware, references included, as they run in the
 * same VM): canplayer plays a log of the demo vehicle's messages at 2,000 frames/s on vcan0,
 * looping, and one process after another receives it (bench/can-receive-probe.ts):
 * persona's source with the decoder, the socketcan package's per-frame source with the same
 * decoder (what persona used before), and two processes that only receive, through the
 * package and through persona's addon. They take turns in one VM run, each round in the
 * reverse order of the one before; each figure is the median of its rounds.
 *
 *   npm run bench:can-receive
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import { loadVehicle } from '../src/signals/signal-map.js';
import { writeVcanLog } from '../test/vm/vcan-log.js';
import { bootVm, kernelProblems, vmAvailable } from '../test/vm/vm-harness.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';
import { progress } from './bench-progress.js';
import { median } from './timing.js';

const RATE = 2000;
const ROUNDS = Number(process.env.PERSONA_BENCH_CAN_ROUNDS ?? 3);
const WARMUP_S = 4;
const WINDOW_S = Number(process.env.PERSONA_BENCH_CAN_SECONDS ?? 10);
const VARIANTS = ['persona', 'package', 'package-receive', 'addon-receive'] as const;
type Variant = (typeof VARIANTS)[number];
const WHERE = 'VM, vcan0';

interface ProbeResult {
  variant: Variant;
  seconds: number;
  cpuPercent: number;
  /** Of cpuPercent, the time in the kernel: receiving the frames, waking up. */
  systemPercent: number;
  framesPerS: number;
  wakeUpsPerS: number;
  batchWindowMs: number;
}

const fmt = (values: readonly number[], digits = 1): string => values.map((v) => v.toFixed(digits)).join(', ');

export async function run(): Promise<BenchEntry[]> {
  const rate = RATE.toLocaleString('en-US');
  const rows = [`CPU share receiving ${rate} frames/s, persona's source vs the socketcan package's (${WHERE})`, `CPU share receiving ${rate} frames/s, persona's source vs a process that only receives (${WHERE})`];
  const availability = vmAvailable();
  if (!availability.ok) {
    progress(`live-bus CPU benchmark skipped: ${availability.reason}`);
    return rows.map((name) => ({ name, value: Number.NaN, unit: '', reference: null, referenceValue: null, target: null, met: null, note: `skipped: ${availability.reason}` }));
  }
  const root = packageRoot();
  const probe = join(root, 'dist/bench/can-receive-probe.js');
  if (!existsSync(probe)) throw new Error(`${probe} is missing: npm run build`);
  const vehicleDir = join(root, 'vehicles/demo');
  // The guest sees the host's tree read-only, except /tmp, which is its own: the log goes under dist/.
  const dir = join(root, 'dist/vm-fixtures');
  mkdirSync(dir, { recursive: true });
  const log = writeVcanLog(loadVehicle(vehicleDir), dir, RATE * 10, RATE);
  progress('booting the VM (QEMU TCG)');
  const vm = await bootVm({ log: (line) => progress(`VM: ${line}`) });
  try {
    // As the Yocto layer configures an ECU, and as the SocketCAN test does.
    const up = await vm.run(`sysctl -qw net.core.rmem_default=4194304 net.core.rmem_max=4194304 && ip link add dev vcan0 type vcan && ip link set vcan0 up && (canplayer -l i -I ${log} >/dev/null 2>&1 & echo $! > /run/canplayer.pid)`);
    if (up.exitCode !== 0) throw new Error(`vcan0 and canplayer did not start:\n${up.output}`);
    progress(`canplayer plays ${log} on vcan0 at ${rate} frames/s, looping; ${ROUNDS} rounds of ${VARIANTS.join(', ')} (each round reversed), ${WARMUP_S} s warm-up and ${WINDOW_S} s measured each`);
    const results = new Map<Variant, ProbeResult[]>(VARIANTS.map((v) => [v, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        const r = await vm.run(`node ${probe} ${variant} ${vehicleDir} vcan0 ${WARMUP_S} ${WINDOW_S}`, { timeoutMs: (WARMUP_S + WINDOW_S + 60) * 1000 });
        if (r.exitCode !== 0) throw new Error(`${variant} failed (exit ${r.exitCode}):\n${r.output}`);
        const result = JSON.parse(r.output.trim().split('\n').at(-1) ?? '') as ProbeResult;
        results.get(variant)!.push(result);
        progress(`  round ${round + 1}/${ROUNDS} ${variant}: ${result.cpuPercent.toFixed(1)} % of a core (${result.systemPercent.toFixed(1)} % in the kernel), ${Math.round(result.framesPerS)} frames/s in ${Math.round(result.wakeUpsPerS)} wake-ups/s`);
      }
    }
    await vm.run('kill $(cat /run/canplayer.pid)');
    const problems = kernelProblems(await vm.dmesg());
    if (problems.length > 0) throw new Error(`the kernel log shows problems:\n${problems.join('\n')}`);

    const cpu = (v: Variant): number => median(results.get(v)!.map((r) => r.cpuPercent));
    const said = (v: Variant): string => {
      const rs = results.get(v)!;
      return `${cpu(v).toFixed(1)} % (${fmt(rs.map((r) => r.cpuPercent))}; in the kernel ${median(rs.map((r) => r.systemPercent)).toFixed(1)} %), ${Math.round(median(rs.map((r) => r.framesPerS)))} frames/s in ${Math.round(median(rs.map((r) => r.wakeUpsPerS)))} wake-ups/s`;
    };
    const how = `medians of ${ROUNDS} windows of ${WINDOW_S} s after ${WARMUP_S} s each, the variants alternated in one VM run; user + system time of the whole process (all threads); canplayer playing the demo vehicle's messages at ${rate} frames/s on vcan0, all passing the kernel filters; batch window ${results.get('persona')![0]!.batchWindowMs} ms`;
    const all = `persona's source and decoder ${said('persona')}; the socketcan package's source and the same decoder ${said('package')}; receiving only, through the package ${said('package-receive')}, through persona's addon ${said('addon-receive')}`;
    console.log(`  ${all}`);
    return [
      {
        name: rows[0]!,
        value: cpu('persona'),
        unit: '% of a core',
        reference: "the socketcan package's per-frame source and the same decoder, same VM",
        referenceValue: cpu('package'),
        target: null,
        met: null,
        note: `${all}; ${how}`,
      },
      {
        name: rows[1]!,
        value: cpu('persona'),
        unit: '% of a core',
        reference: 'a Node process only receiving through the socketcan package, same VM',
        referenceValue: cpu('package-receive'),
        target: null,
        met: null,
        note: `receiving only through persona's addon: ${cpu('addon-receive').toFixed(1)} %; ${how}`,
      },
    ];
  } finally {
    await vm.shutdown();
  }
}

await runWhenMain(import.meta.url, run);
