/* eslint-disable no-console -- the probe's result goes to stdout, where the VM test reads it */
/**
 * Runs inside the VM, as root: the latency of a 4-parameter apply to pvnic0 as Node sees it,
 * through the addon (a worker thread per apply), and through KmodBackend (which also reads the
 * values before, to report changes). Prints one JSON line of p50/p99 in microseconds.
 * Usage: node persona-latency-probe.js [applies, default 2000]
 */
import { openPersonaDevice } from '../../src/backend/addon-persona.js';
import { KmodBackend } from '../../src/backend/kmod-backend.js';

const n = Number(process.argv[2] ?? 2000);
const sets = [
  [[0, 1_000_000n], [1, 16_384n], [2, 1n], [3, 0x05n]],
  [[0, 4_000_000n], [1, 65_536n], [2, 0n], [3, 0x15n]],
] as const;

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  return { p50: at(0.5), p99: at(0.99) };
}

async function time(apply: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    await apply(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return percentiles(samples);
}

const device = openPersonaDevice('/dev/persona');
const pvnic = device.list().find((d) => d.name === 'pvnic');
if (!pvnic) throw new Error('pvnic is not registered');
const addon = await time((i) => device.apply(pvnic.id, sets[i % 2]!, 1n));
device.close();

const backend = KmodBackend.open();
const values = [
  { interrupt_coalescence_time: 1_000_000, DMA_buffer_size: 16_384, power_saving_mode: 'balanced', feature_set: ['lro', 'rx_checksum'] },
  { interrupt_coalescence_time: 4_000_000, DMA_buffer_size: 65_536, power_saving_mode: 'disabled', feature_set: ['lro', 'rx_checksum', 'tso'] },
];
const kmodBackend = await time((i) => backend.apply('pvnic', values[i % 2]!, ['pvnic0']));
await backend.stop();
console.log(JSON.stringify({ n, addonUs: addon, kmodBackendUs: kmodBackend }));
