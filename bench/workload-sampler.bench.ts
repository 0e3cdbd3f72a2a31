/* eslint-disable no-console -- the benchmark's report */
/**
 * Cost of WorkloadSampler.sample() on this machine's /proc: wall and CPU time per sample, heap
 * allocated per sample, and the share of one core it takes at the 1 Hz the daemon samples at.
 * Both paths are measured: PSI as this kernel has it, and the loadavg/meminfo/stat fallback
 * (a /proc look-alike of symlinks to the real files, without pressure/).
 *
 *   npm run build && node dist/bench/workload-sampler.bench.js
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkloadSampler, type WorkloadFeatures } from '../src/context/workload-sampler.js';
import { measureAllocation } from './alloc-meter.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';

const WARMUP_SAMPLES = 2_000;
const HOT_SAMPLES = 20_000;
const ALLOCATION_SAMPLES = 5_000;
/** Samples taken one at a time after a pause, so caches are as cold as at 1 Hz. */
const PACED_SAMPLES = 40;
const PACE_MS = 100;
/** 0.1 % of one core at 1 Hz: 1 ms of CPU per sample. */
const BUDGET_MS_PER_SAMPLE = 1;

interface Result {
  readonly label: string;
  readonly last: WorkloadFeatures;
  readonly hotWallUs: number;
  readonly hotCpuUs: number;
  readonly pacedMedianWallUs: number;
  readonly pacedMaxWallUs: number;
  readonly pacedCpuUs: number;
  readonly bytesPerSample: number;
}

/** User plus system CPU of this process, µs: kernel time spent producing /proc files counts too. */
function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function measure(label: string, sampler: WorkloadSampler): Promise<Result> {
  let last = sampler.sample();
  for (let i = 0; i < WARMUP_SAMPLES; i++) last = sampler.sample();

  const hotStart = performance.now();
  const hotCpuStart = cpuMicros();
  for (let i = 0; i < HOT_SAMPLES; i++) last = sampler.sample();
  const hotCpuUs = (cpuMicros() - hotCpuStart) / HOT_SAMPLES;
  const hotWallUs = ((performance.now() - hotStart) * 1000) / HOT_SAMPLES;

  const walls: number[] = [];
  let pacedCpu = 0;
  for (let i = 0; i < PACED_SAMPLES; i++) {
    await sleep(PACE_MS);
    const cpuStart = cpuMicros();
    const start = performance.now();
    last = sampler.sample();
    walls.push((performance.now() - start) * 1000);
    pacedCpu += cpuMicros() - cpuStart;
  }
  walls.sort((a, b) => a - b);

  const allocation = measureAllocation((count) => {
    for (let i = 0; i < count; i++) last = sampler.sample();
  }, ALLOCATION_SAMPLES);

  return {
    label,
    last,
    hotWallUs,
    hotCpuUs,
    pacedMedianWallUs: walls[walls.length >> 1] ?? Number.NaN,
    pacedMaxWallUs: walls[walls.length - 1] ?? Number.NaN,
    pacedCpuUs: pacedCpu / PACED_SAMPLES,
    bytesPerSample: allocation.bytes / ALLOCATION_SAMPLES,
  };
}

/** A directory that looks like /proc without pressure/, so the sampler takes its fallback. */
function procWithoutPsi(): string {
  const root = mkdtempSync(join(tmpdir(), 'persona-proc-'));
  for (const name of ['loadavg', 'meminfo', 'stat', 'diskstats', 'net']) symlinkSync(join('/proc', name), join(root, name));
  return root;
}

function report(r: Result): boolean {
  const within = r.pacedCpuUs / 1000 < BUDGET_MS_PER_SAMPLE;
  const f = r.last;
  console.log(`\n${r.label}: source=${f.source} cpu=${f.cpuPressure.toFixed(2)} memory=${f.memoryPressure.toFixed(2)} io=${f.ioPressure?.toFixed(2) ?? 'null'}`);
  console.log(`  disk: ${f.disk === null ? 'null' : `${f.disk.readBytesPerS.toFixed(0)} B/s read, ${f.disk.writeBytesPerS.toFixed(0)} B/s written, ${f.disk.requestsPerS.toFixed(1)} req/s`}`);
  console.log(`  net:  ${f.net === null ? 'null' : `${f.net.rxBytesPerS.toFixed(0)} B/s rx, ${f.net.txBytesPerS.toFixed(0)} B/s tx, ${f.net.packetsPerS.toFixed(1)} packets/s`}`);
  console.log(`  back to back (${HOT_SAMPLES} samples):   ${r.hotWallUs.toFixed(1)} µs wall, ${r.hotCpuUs.toFixed(1)} µs CPU per sample`);
  console.log(`  paced (${PACED_SAMPLES} samples, ${PACE_MS} ms apart): median ${r.pacedMedianWallUs.toFixed(1)} µs wall, max ${r.pacedMaxWallUs.toFixed(1)} µs wall, mean ${r.pacedCpuUs.toFixed(1)} µs CPU per sample`);
  console.log(`  heap allocated: ${r.bytesPerSample.toFixed(0)} B per sample`);
  console.log(
    `  at 1 Hz: ${((r.pacedCpuUs / 1e6) * 100).toFixed(4)} % of one core (budget 0.1 %, i.e. < ${BUDGET_MS_PER_SAMPLE} ms per sample): ${within ? 'OK' : 'OVER BUDGET'}`,
  );
  return within;
}

export async function run(): Promise<BenchEntry[]> {
  console.log(`WorkloadSampler.sample() on ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Linux ${release()}, Node ${process.version}`);
  if (!existsSync('/proc/loadavg')) throw new Error('/proc/loadavg: no /proc on this machine');
  const fallbackRoot = procWithoutPsi();
  try {
    const results = [await measure('/proc as it is', new WorkloadSampler()), await measure('fallback (no pressure/)', new WorkloadSampler({ procRoot: fallbackRoot }))];
    return results.map((r) => ({
      name: `workload sample, ${r.label}: CPU at 1 Hz`,
      value: (r.pacedCpuUs / 1e6) * 100,
      unit: '% of a core',
      reference: null,
      referenceValue: null,
      target: `≤ ${BUDGET_MS_PER_SAMPLE / 10} %`,
      met: report(r),
    }));
  } finally {
    rmSync(fallbackRoot, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, run);
