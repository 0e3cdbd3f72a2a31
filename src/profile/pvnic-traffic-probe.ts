import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CounterReading, TrafficCounters, TrafficProbe } from './traffic-probe.js';

const run = promisify(execFile);

export interface PvnicTrafficOptions {
  /** Default /sys/kernel/debug/pvnic. */
  debugfs?: string;
  /** Default /sys/class/net. */
  sysfsNet?: string;
  /** Milliseconds on the sweep's clock. */
  now: () => number;
}

const COUNTERS: ReadonlyArray<[keyof TrafficCounters, string]> = [
  ['rxPackets', 'rx_packets'],
  ['rxInterrupts', 'rx_interrupts'],
  ['rxDropped', 'rx_dropped'],
  ['rxLatencyNs', 'rx_latency_ns'],
];

/**
 * The real pvnic: load through its debugfs knob `<port>/rx_rate_pps`, counters from
 * `ethtool -S`. Needs root (debugfs) and the ethtool command. A reading is stamped with the
 * middle of the ethtool call, the best guess of when the kernel copied the counters.
 */
export class PvnicTrafficProbe implements TrafficProbe {
  private readonly rateFile: string;
  private readonly flagsFile: string;
  private found: { rate: string; up: boolean } | undefined;

  constructor(
    private readonly resource: string,
    private readonly options: PvnicTrafficOptions,
  ) {
    this.rateFile = join(options.debugfs ?? '/sys/kernel/debug/pvnic', resource, 'rx_rate_pps');
    this.flagsFile = join(options.sysfsNet ?? '/sys/class/net', resource, 'flags');
  }

  async start(): Promise<void> {
    let rate: string;
    try {
      rate = (await readFile(this.rateFile, 'utf8')).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      throw new Error(
        `${this.rateFile}: ${code || (error as Error).message}: profiling pvnic needs root, debugfs mounted (mount -t debugfs none /sys/kernel/debug) and a persona_vnic with the rx_rate_pps knob`,
        { cause: error },
      );
    }
    // IFF_UP is bit 0 of the interface flags.
    const up = (Number.parseInt((await readFile(this.flagsFile, 'utf8')).trim(), 16) & 1) === 1;
    this.found = { rate, up };
    if (!up) await run('ip', ['link', 'set', this.resource, 'up']);
  }

  async setLoad(packetsPerSecond: number): Promise<void> {
    await writeFile(this.rateFile, `${packetsPerSecond}\n`);
  }

  async read(): Promise<CounterReading> {
    const started = this.options.now();
    const { stdout } = await run('ethtool', ['-S', this.resource]);
    const atMs = (started + this.options.now()) / 2;
    return { atMs, counters: parseEthtoolStats(stdout, this.resource) };
  }

  async stop(): Promise<void> {
    if (!this.found) return;
    await writeFile(this.rateFile, `${this.found.rate}\n`);
    if (!this.found.up) await run('ip', ['link', 'set', this.resource, 'down']);
    this.found = undefined;
  }
}

/** The receive counters of `ethtool -S` output; throws naming a missing one. */
export function parseEthtoolStats(text: string, resource: string): TrafficCounters {
  const values = new Map<string, number>();
  for (const m of text.matchAll(/^\s+(\w+): (\d+)$/gm)) values.set(m[1]!, Number(m[2]));
  const counters: Partial<Record<keyof TrafficCounters, number>> = {};
  for (const [key, name] of COUNTERS) {
    const value = values.get(name);
    if (value === undefined) throw new Error(`ethtool -S ${resource}: no counter ${name}; is it a pvnic port?`);
    counters[key] = value;
  }
  return counters as TrafficCounters;
}
