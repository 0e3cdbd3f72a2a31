import type { TrafficCounters } from './traffic-probe.js';

/** pvnic's receive path, as kmod/pvnic_traffic.c simulates it; kept in step with it by hand. */
export interface PvnicConfig {
  readonly coalesceNs: number;
  readonly dmaBytes: number;
  readonly power: string;
}

const TICK_NS = 1_000_000;
const TICKS_PER_SECOND = 1000;
const DESC_BYTES = 2048;
/** Interrupt wake-up latency of each power mode. */
export const PVNIC_WAKE_NS: Readonly<Record<string, number>> = { disabled: 0, balanced: 20_000, aggressive: 200_000 };

/**
 * The twin of the kernel driver's traffic timer: every tick (1 ms) the rate's packets arrive
 * evenly spread into the ring, a full ring drops, and an interrupt takes every pending packet
 * once the oldest has waited the coalescing time, adding each one's wait plus the power mode's
 * wake-up latency. A new ring size restarts the queue and drops what it held.
 */
export class PvnicTrafficModel {
  private ring: number[] = [];
  private entries: number;
  private coalesceNs: number;
  private wakeNs: number;
  private dmaBytes: number;
  private ratePps = 8000;
  private credit = 0;
  private packets = 0;
  private interrupts = 0;
  private dropped = 0;
  private latencyNs = 0;

  constructor(config: PvnicConfig) {
    this.dmaBytes = config.dmaBytes;
    this.entries = Math.ceil(config.dmaBytes / DESC_BYTES);
    this.coalesceNs = config.coalesceNs;
    this.wakeNs = PVNIC_WAKE_NS[config.power] ?? 0;
  }

  configure(config: PvnicConfig): void {
    this.coalesceNs = config.coalesceNs;
    this.wakeNs = PVNIC_WAKE_NS[config.power] ?? 0;
    if (config.dmaBytes !== this.dmaBytes) {
      this.dmaBytes = config.dmaBytes;
      this.entries = Math.ceil(config.dmaBytes / DESC_BYTES);
      this.dropped += this.ring.length;
      this.ring = [];
    }
  }

  setRate(packetsPerSecond: number): void {
    this.ratePps = packetsPerSecond;
    this.credit = 0;
  }

  /** One timer tick at `nowNs`; `extraCredit` is this tick's deviation from the rate, in packets × 1000. */
  tick(nowNs: number, extraCredit = 0): void {
    this.credit += Math.max(0, this.ratePps + extraCredit);
    const n = Math.floor(this.credit / TICKS_PER_SECOND);
    this.credit %= TICKS_PER_SECOND;
    for (let i = 0; i < n; i++) {
      if (this.ring.length === this.entries) this.dropped++;
      else this.ring.push(nowNs - (n - 1 - i) * Math.floor(TICK_NS / n));
    }
    const oldest = this.ring[0];
    if (oldest === undefined || nowNs - oldest < this.coalesceNs) return;
    this.interrupts++;
    this.packets += this.ring.length;
    for (const arrived of this.ring) this.latencyNs += nowNs - arrived + this.wakeNs;
    this.ring = [];
  }

  counters(): TrafficCounters {
    return { rxPackets: this.packets, rxInterrupts: this.interrupts, rxDropped: this.dropped, rxLatencyNs: this.latencyNs };
  }
}
