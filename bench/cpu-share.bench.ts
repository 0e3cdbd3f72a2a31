/* eslint-disable no-console -- the benchmark's report */
/**
 * CPU share of one core while the daemon reads a busy bus: `persona run` as its own process
 * (the CLI, as deployed, with persona.service's heap settings; real Mosquitto), replaying in real time, looping, a log whose own
 * rate is 2,000 frames/s: the bundled drive with the traffic of a busy bus it does not read
 * (bench/busy-drive-log.ts). So the daemon decides as often as in a car, ten times a second.
 * The reference, a Node process that only reads and paces the same log, runs beside it for
 * the whole run; each one's user + system CPU time is read from /proc/<pid>/stat over
 * alternating windows after a warm-up, and each figure is the median of its windows.
 *
 *   npm run bench:cpu
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../src/common/package-root.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { MqttRecorder } from '../test/helpers/mqtt-recorder.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';
import { progress } from './bench-progress.js';
import { writeBusyDriveLog } from './busy-drive-log.js';
import { DRIVE_LOG } from './pipeline-timing.js';
import { processCpuSeconds } from './process-cpu.js';
import { shippedEnvironment } from './shipped-environment.js';
import { median } from './timing.js';

const WARMUP_S = 5;
/** Measured time of each process, split into ROUNDS windows that alternate between the two. */
const WINDOW_S = Number(process.env.PERSONA_BENCH_CPU_SECONDS ?? 60);
const ROUNDS = 6;
const TARGET_PERCENT = 2;

/** CPU share of process `pid` over the next `seconds`. */
async function cpuShare(pid: number, seconds: number): Promise<number> {
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return ((processCpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Frames the reference passed on, which it prints when it stops. */
function framesCounted(child: ChildProcess): Promise<number> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('close', () => resolve(Number(out.trim()))));
}

const format = (percents: readonly number[]): string => percents.map((p) => p.toFixed(2)).join(', ');

export async function run(): Promise<BenchEntry[]> {
  const root = packageRoot();
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'persona-bench-cpu-'));
  const log = join(dir, 'busy-drive.log');
  const bus = writeBusyDriveLog(join(root, DRIVE_LOG), log);
  const rate = Math.round(bus.framesPerS).toLocaleString('en-US');
  const config = join(dir, 'persona.config.json');
  writeFileSync(config, JSON.stringify({ ecuId: 'bench-cpu', broker: broker.url, can: `replay:${log}`, speed: 1, loop: true, manifestState: join(dir, 'manifest-state.json') }));
  const children: ChildProcess[] = [];
  try {
    const status = await MqttRecorder.connect(broker.url, ['persona/bench-cpu/status']);
    progress(`CPU share: persona run and, beside it, the replay alone, on ${DRIVE_LOG} with other traffic (${bus.frames.toLocaleString('en-US')} frames, ${rate} frames/s) in real time; ${WARMUP_S} s warm-up, then ${ROUNDS} alternating windows of ${WINDOW_S / ROUNDS} s each`);
    const daemon = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'run', '--config', config], { cwd: dir, env: { ...process.env, ...shippedEnvironment() }, stdio: 'ignore' });
    children.push(daemon);
    await status.waitFor((m) => m.text.includes('"online"'));
    await status.close();
    const replayStartedMs = performance.now();
    const replay = spawn(process.execPath, [join(root, 'dist/bench/replay-only.js'), log, '1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(replay);
    const replayed = framesCounted(replay);
    await sleep(WARMUP_S * 1000);
    const daemonPercents: number[] = [];
    const replayPercents: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      daemonPercents.push(await cpuShare(daemon.pid ?? 0, WINDOW_S / ROUNDS));
      replayPercents.push(await cpuShare(replay.pid ?? 0, WINDOW_S / ROUNDS));
      progress(`  round ${round + 1}/${ROUNDS}: persona run ${daemonPercents.at(-1)!.toFixed(2)} %, replay alone ${replayPercents.at(-1)!.toFixed(2)} %`);
    }
    children.splice(0);
    await stopChild(replay);
    const achieved = (await replayed) / ((performance.now() - replayStartedMs) / 1000);
    await stopChild(daemon);
    const daemonPercent = median(daemonPercents);
    const replayPercent = median(replayPercents);
    console.log(`  persona run: ${daemonPercent.toFixed(2)} % of one core (${format(daemonPercents)}); replay alone: ${replayPercent.toFixed(2)} % (${format(replayPercents)}); ${Math.round(achieved)} frames/s replayed`);
    return [
      {
        name: `CPU share at ${rate} frames/s (host, simulated backend)`,
        value: daemonPercent,
        unit: '% of a core',
        reference: 'a Node process only reading and pacing the same log, beside it',
        referenceValue: replayPercent,
        target: `≤ ${TARGET_PERCENT} %`,
        met: daemonPercent <= TARGET_PERCENT,
        note:
          `persona run process, user + system time from /proc/<pid>/stat, medians of ${ROUNDS} windows of ${WINDOW_S / ROUNDS} s alternating with the reference's after ${WARMUP_S} s; ` +
          `the bundled drive with other traffic, ${rate} frames/s in real time from a candump log (no SocketCAN on this host), ${Math.round(achieved)} frames/s replayed` +
          (daemonPercent <= TARGET_PERCENT ? '' : `; the replay alone (reading, parsing and pacing the log) takes ${replayPercent.toFixed(2)} %, the pipeline the rest`),
      },
    ];
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await broker.stop();
  }
}

await runWhenMain(import.meta.url, run);
