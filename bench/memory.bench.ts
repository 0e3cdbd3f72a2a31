/* eslint-disable no-console -- the benchmark's report */
/**
 * Memory over a long replay: the daemon as its own process (bench/daemon-process.ts: simulated
 * backend, real Mosquitto, persona.service's heap settings), the bundled drive looping at 10× real time for MINUTES minutes of
 * wall time (10 by default, PERSONA_BENCH_MEMORY_MINUTES for a quick run), RSS and V8 heap
 * sampled every 5 s. The slope is a least-squares fit over the samples after the warm-up (the
 * first fifth); "no upward slope" means the fitted growth is at most MAX_SLOPE_MB_PER_MIN
 * (≈ 6 MB an hour), which a steady process meets and a leak of a few bytes per frame does not.
 * The reference: the RSS of a Node process that has loaded nothing.
 *
 *   npm run bench:memory
 */
import { fork, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';
import { progress } from './bench-progress.js';
import type { MemorySample } from './daemon-process.js';
import { leastSquaresSlope } from './least-squares.js';
import { shippedEnvironment } from './shipped-environment.js';
import { DRIVE_LOG } from './pipeline-timing.js';

const SPEED = 10;
const MINUTES = Number(process.env.PERSONA_BENCH_MEMORY_MINUTES ?? 10);
const SAMPLE_MS = 5000;
const WARMUP_FRACTION = 0.2;
const TARGET_RSS_MB = 80;
const MAX_SLOPE_MB_PER_MIN = 0.1;

/** RSS of `node -e` reporting its own memory: the floor any Node daemon starts from. */
function bareNodeRssMb(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.memoryUsage().rss))'], { encoding: 'utf8' });
  return Number(r.stdout) / 2 ** 20;
}

export async function run(): Promise<BenchEntry[]> {
  const broker = await startMosquitto();
  try {
    const environment = shippedEnvironment();
    progress(`memory: daemon process (${Object.entries(environment).map(([k, v]) => `${k}=${v}`).join(' ')}), ${DRIVE_LOG} looping at ${SPEED}× for ${MINUTES} min, sampled every ${SAMPLE_MS / 1000} s`);
    const child = fork(join(packageRoot(), 'dist/bench/daemon-process.js'), [broker.url, String(SPEED), String(SAMPLE_MS)], { env: { ...process.env, ...environment }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const samples: MemorySample[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, MINUTES * 60_000);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the daemon process exited early (${code})`));
      });
      child.on('message', (m: MemorySample) => {
        samples.push(m);
        if (samples.length % 12 === 0) progress(`  ${(m.s / 60).toFixed(1)}/${MINUTES} min: RSS ${m.rssMb.toFixed(1)} MB, heap ${m.heapMb.toFixed(1)} MB, external ${m.externalMb.toFixed(1)} MB`);
      });
    });
    child.disconnect();
    await exited;
    const steady = samples.filter((m) => m.s >= MINUTES * 60 * WARMUP_FRACTION);
    const perMinute = (pick: (m: MemorySample) => number): number => leastSquaresSlope(steady.map((m) => [m.s / 60, pick(m)]));
    const rssSlope = perMinute((m) => m.rssMb);
    const heapSlope = perMinute((m) => m.heapMb);
    const externalSlope = perMinute((m) => m.externalMb);
    const peakRss = Math.max(...samples.map((m) => m.rssMb));
    const bare = bareNodeRssMb();
    const window = `${steady.length} samples from ${(MINUTES * WARMUP_FRACTION).toFixed(1)} to ${MINUTES} min`;
    console.log(`  RSS peak ${peakRss.toFixed(1)} MB (bare Node ${bare.toFixed(1)} MB); slopes after warm-up: RSS ${rssSlope.toFixed(3)} MB/min, heap ${heapSlope.toFixed(3)} MB/min (${window})`);
    const slopeTarget = `≤ ${MAX_SLOPE_MB_PER_MIN} MB/min (no upward slope)`;
    return [
      { name: `RSS peak over a ${MINUTES}-min replay at ${SPEED}× (host, simulated backend)`, value: peakRss, unit: 'MB', reference: 'a bare Node process', referenceValue: bare, target: `≤ ${TARGET_RSS_MB} MB`, met: peakRss <= TARGET_RSS_MB, note: `${samples.length} samples, every ${SAMPLE_MS / 1000} s${peakRss <= TARGET_RSS_MB ? '' : `; limited by what the process holds: Node alone ${bare.toFixed(1)} MB, the V8 heap up to ${Math.max(...samples.map((m) => m.heapMb)).toFixed(1)} MB, the rest code and buffers of the loaded modules (xstate, ajv, MQTT.js)`}` },
      {
        name: 'RSS slope after warm-up',
        value: rssSlope,
        unit: 'MB/min',
        reference: null,
        referenceValue: null,
        target: slopeTarget,
        met: rssSlope <= MAX_SLOPE_MB_PER_MIN,
        note:
          `least squares over ${window}; V8 heap ${heapSlope.toFixed(3)} MB/min, external (Buffers) ${externalSlope.toFixed(3)} MB/min` +
          (rssSlope <= MAX_SLOPE_MB_PER_MIN ? '' : heapSlope <= MAX_SLOPE_MB_PER_MIN && externalSlope <= MAX_SLOPE_MB_PER_MIN ? '; the growth is outside what V8 accounts for (native allocations of Node or the allocator keeping freed memory); a longer run tells a leak from a plateau' : ''),
      },
      { name: 'V8 heap slope after warm-up', value: heapSlope, unit: 'MB/min', reference: null, referenceValue: null, target: slopeTarget, met: heapSlope <= MAX_SLOPE_MB_PER_MIN, note: `least squares over ${window}; heap ${Math.min(...steady.map((m) => m.heapMb)).toFixed(1)}–${Math.max(...steady.map((m) => m.heapMb)).toFixed(1)} MB` },
    ];
  } finally {
    await broker.stop();
  }
}

await runWhenMain(import.meta.url, run);
