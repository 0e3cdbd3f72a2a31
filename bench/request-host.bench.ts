/* eslint-disable no-console -- the benchmark's report */
/**
 * persona's request → applied-and-read-back on the host (simulated backend: this host cannot
 * load the module; real Mosquitto), side by side with TuneD on the host, natively: TuneD and a
 * private D-Bus system bus in a mount and network namespace of their own (`unshare -mn`), so its
 * configuration and the four per-namespace sysctls it switches are private to the benchmark.
 * The kernel-backend figures and the targets are in the VM rows (bench/kernel.bench.ts); these
 * rows show the same comparison without the emulator in between.
 *
 *   npm run bench:requests
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';
import { progress } from './bench-progress.js';
import { timeRequests } from './request-timing.js';
import { median, percentile } from './timing.js';
import { tunedMissing, tunedSessionScript } from './tuned-session.js';

const REQUEST_CYCLES = Number(process.env.PERSONA_BENCH_REQUEST_CYCLES ?? 25);
const TUNED_SWITCHES = Number(process.env.PERSONA_BENCH_TUNED_SWITCHES ?? 50);
const WHERE = 'host, simulated backend';

/** TuneD's switch times on this host, or why it cannot run here. */
function tunedOnHost(): number[] | string {
  const missing = tunedMissing();
  if (missing !== undefined) return missing;
  const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', tunedSessionScript(join(packageRoot(), 'bench'), TUNED_SWITCHES)], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) return `TuneD row skipped: unshare could not run (${r.error.message})`;
  if (r.status !== 0) return `TuneD row skipped: TuneD could not run in a private mount and network namespace here (exit ${r.status}): ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}`;
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { switchMs: number[]; failed: number };
  if (result.failed > 0) return `TuneD row skipped: ${result.failed} of its profile switches failed`;
  return result.switchMs;
}

async function requestsOnBroker(label: string, brokerConfig: string[]): Promise<Awaited<ReturnType<typeof timeRequests>>> {
  const broker = await startMosquitto(brokerConfig);
  try {
    progress(`requests on the host${label}: ${REQUEST_CYCLES} cycles of select/release over MQTT and hold/release through the API`);
    return await timeRequests({ backend: 'simulated', brokerUrl: broker.url, cycles: REQUEST_CYCLES, onCycle: (c) => c % 5 === 0 && progress(`  cycle ${c}/${REQUEST_CYCLES}`) });
  } finally {
    await broker.stop();
  }
}

export async function run(): Promise<BenchEntry[]> {
  // The broker as persona's Yocto layer configures it; the daemon and the CLI turn Nagle off themselves.
  const requests = await requestsOnBroker(' (Mosquitto with set_tcp_nodelay)', ['set_tcp_nodelay true']);
  const nagle = await requestsOnBroker(" on Mosquitto's default configuration (Nagle on its sockets)", []);
  progress(`TuneD on the host: ${TUNED_SWITCHES} profile switches over a private D-Bus system bus`);
  const tuned = tunedOnHost();
  const { mqttUs, inProcessUs } = requests;
  const entries: BenchEntry[] = [
    { name: `request → applied & read back p50, daemon API (${WHERE})`, value: percentile(inProcessUs, 0.5), unit: 'µs', reference: null, referenceValue: null, target: null, met: null, note: `${inProcessUs.length} samples` },
    { name: `request → applied & read back p99, daemon API (${WHERE})`, value: percentile(inProcessUs, 0.99), unit: 'µs', reference: null, referenceValue: null, target: null, met: null, note: `${inProcessUs.length} samples` },
    {
      name: `request → applied & read back p50, MQTT (${WHERE})`,
      value: percentile(mqttUs, 0.5),
      unit: 'µs',
      reference: "the same on Mosquitto's default configuration (Nagle on the broker's sockets)",
      referenceValue: percentile(nagle.mqttUs, 0.5),
      target: null,
      met: null,
      note: `${mqttUs.length} samples; the broker with set_tcp_nodelay true, as the Yocto layer ships it: with Nagle on, each burst waits for a delayed ACK`,
    },
    { name: `request → applied & read back p99, MQTT (${WHERE})`, value: percentile(mqttUs, 0.99), unit: 'µs', reference: null, referenceValue: null, target: null, met: null, note: `${mqttUs.length} samples` },
  ];
  if (typeof tuned === 'string') {
    progress(tuned);
    entries.push({ name: 'speed-up over TuneD on the host', value: Number.NaN, unit: '', reference: null, referenceValue: null, target: null, met: null, note: `skipped: ${tuned}` });
  } else {
    const tunedMedianUs = median(tuned) * 1000;
    const reference = 'TuneD 2.20 switch_profile over D-Bus → sysctls set, host (median ms)';
    const tunedNote = `TuneD: median ${(tunedMedianUs / 1000).toFixed(2)} ms, p99 ${percentile(tuned, 0.99).toFixed(2)} ms over ${tuned.length} switches of 4 sysctls`;
    entries.push(
      { name: `speed-up over TuneD: request → applied, MQTT vs D-Bus (${WHERE})`, value: tunedMedianUs / median(mqttUs), unit: '×', reference, referenceValue: tunedMedianUs / 1000, target: null, met: null, note: `${tunedNote}; persona over MQTT: median ${(median(mqttUs) / 1000).toFixed(2)} ms` },
      { name: `speed-up over TuneD: request → applied, daemon API vs D-Bus (${WHERE})`, value: tunedMedianUs / median(inProcessUs), unit: '×', reference, referenceValue: tunedMedianUs / 1000, target: null, met: null, note: `${tunedNote}; persona's API: median ${(median(inProcessUs) / 1000).toFixed(2)} ms` },
    );
  }
  for (const e of entries) console.log(`  ${e.name}: ${e.value.toFixed(2)} ${e.unit}${e.note ? ` (${e.note})` : ''}`);
  return entries;
}

await runWhenMain(import.meta.url, run);
