/* eslint-disable no-console -- the benchmark's report */
/**
 * CPU share of one core while the daemon reads a busy bus: `persona run` as its own process
 * (the CLI, as deployed; real Mosquitto), replaying the bundled drive at 12.5× real time, which
 * is 2,000 frames/s, looping. Its user + system CPU time is read from /proc/<pid>/stat before
 * and after a WINDOW_S window that starts after a warm-up. The reference, measured the same
 * way right after: a Node process that only reads and paces the same replay.
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
import { heartbeat, progress } from './bench-progress.js';
import { DRIVE_LOG } from './pipeline-timing.js';
import { processCpuSeconds } from './process-cpu.js';

const FRAMES_PER_S = 2000;
/** The drive's own rate: 29,600 frames in 185 s. */
const DRIVE_FRAMES_PER_S = 160;
const SPEED = FRAMES_PER_S / DRIVE_FRAMES_PER_S;
const WARMUP_S = 5;
const WINDOW_S = Number(process.env.PERSONA_BENCH_CPU_SECONDS ?? 60);
const TARGET_PERCENT = 2;

/** CPU share of `child` over WINDOW_S, after WARMUP_S. */
async function cpuShare(child: ChildProcess, label: string): Promise<number> {
  const pid = child.pid ?? 0;
  await sleep(WARMUP_S * 1000);
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  const stop = heartbeat(15_000, () => `  ${label}: ${Math.round((performance.now() - t0) / 1000)}/${WINDOW_S} s, ${(((processCpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100).toFixed(2)} % so far`);
  await sleep(WINDOW_S * 1000);
  stop();
  return ((processCpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function run(): Promise<BenchEntry[]> {
  const root = packageRoot();
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'persona-bench-cpu-'));
  const config = join(dir, 'persona.config.json');
  writeFileSync(config, JSON.stringify({ ecuId: 'bench-cpu', broker: broker.url, can: `replay:${join(root, DRIVE_LOG)}`, speed: SPEED, loop: true, manifestState: join(dir, 'manifest-state.json') }));
  try {
    const status = await MqttRecorder.connect(broker.url, ['persona/bench-cpu/status']);
    progress(`CPU share: persona run, ${DRIVE_LOG} at ${SPEED}× = ${FRAMES_PER_S} frames/s, ${WARMUP_S} s warm-up then ${WINDOW_S} s`);
    const daemon = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'run', '--config', config], { cwd: dir, stdio: 'ignore' });
    await status.waitFor((m) => m.text.includes('"online"'));
    await status.close();
    const daemonPercent = await cpuShare(daemon, 'persona run');
    await stopChild(daemon);
    progress(`CPU share: reference, the replay alone at ${FRAMES_PER_S} frames/s`);
    const replay = spawn(process.execPath, [join(root, 'dist/bench/replay-only.js'), join(root, DRIVE_LOG), String(SPEED)], { stdio: 'ignore' });
    const replayPercent = await cpuShare(replay, 'replay alone');
    await stopChild(replay);
    console.log(`  persona run: ${daemonPercent.toFixed(2)} % of one core; replay alone: ${replayPercent.toFixed(2)} %`);
    return [
      {
        name: `CPU share at ${FRAMES_PER_S.toLocaleString('en-US')} frames/s (host, simulated backend)`,
        value: daemonPercent,
        unit: '% of a core',
        reference: 'a Node process only reading and pacing the same replay',
        referenceValue: replayPercent,
        target: `≤ ${TARGET_PERCENT} %`,
        met: daemonPercent <= TARGET_PERCENT,
        note:
          `persona run process, user + system time from /proc/<pid>/stat over ${WINDOW_S} s after ${WARMUP_S} s; frames from a candump log (no SocketCAN on this host)` +
          (daemonPercent <= TARGET_PERCENT
            ? ''
            : replayPercent > TARGET_PERCENT / 2
              ? `; limited by reading the frames as text: parsing and pacing the candump log alone takes ${replayPercent.toFixed(2)} %`
              : `; limited by the pipeline's own work per frame: the replay alone takes ${replayPercent.toFixed(2)} %`),
      },
    ];
  } finally {
    await broker.stop();
  }
}

await runWhenMain(import.meta.url, run);
