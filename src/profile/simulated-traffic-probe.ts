import type { DriverBackend } from '../backend/driver-backend.js';
import type { Clock } from '../common/clock.js';
import { mulberry32 } from '../common/prng.js';
import type { ParameterValues } from '../manifests/personality.js';
import { PvnicTrafficModel, type PvnicConfig } from './pvnic-traffic-model.js';
import type { CounterReading, TrafficProbe } from './traffic-probe.js';

export interface SimulatedTrafficOptions {
  /** Seeds the arrival jitter, so the same seed gives the same profile. */
  seed: number;
  /** Each tick's arrivals vary by up to this fraction of the rate; default 0.05. */
  jitter?: number;
}

/**
 * pvnic's traffic without a kernel: the model of pvnic_traffic.c ticking every millisecond of
 * a (simulated) clock, configured from whatever the backend holds for the resource at each tick.
 * With a SimulatedClock a whole sweep runs in moments and gives the same numbers every time.
 */
export class SimulatedTrafficProbe implements TrafficProbe {
  private readonly model: PvnicTrafficModel;
  private readonly random: () => number;
  private readonly jitter: number;
  private rate = 8000;
  private cancelTick: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly backend: DriverBackend,
    private readonly driverId: string,
    private readonly resource: string,
    options: SimulatedTrafficOptions,
  ) {
    this.model = new PvnicTrafficModel(this.config());
    this.random = mulberry32(options.seed);
    this.jitter = options.jitter ?? 0.05;
  }

  start(): Promise<void> {
    this.cancelTick ??= this.clock.every(1, () => {
      this.model.configure(this.config());
      this.model.tick(Math.round(this.clock.now() * 1e6), this.jitterCredit());
    });
    return Promise.resolve();
  }

  setLoad(packetsPerSecond: number): Promise<void> {
    this.model.setRate(packetsPerSecond);
    this.rate = packetsPerSecond;
    return Promise.resolve();
  }

  read(): Promise<CounterReading> {
    return Promise.resolve({ atMs: this.clock.now(), counters: this.model.counters() });
  }

  stop(): Promise<void> {
    this.cancelTick?.();
    this.cancelTick = undefined;
    return Promise.resolve();
  }

  private jitterCredit(): number {
    return Math.round(this.rate * this.jitter * (2 * this.random() - 1));
  }

  private config(): PvnicConfig {
    return pvnicConfigOf(this.backend.read(this.driverId, this.resource));
  }
}

export function pvnicConfigOf(values: ParameterValues): PvnicConfig {
  return {
    coalesceNs: Number(values.interrupt_coalescence_time ?? 0),
    dmaBytes: Number(values.DMA_buffer_size ?? 65536),
    power: String(values.power_saving_mode ?? 'balanced'),
  };
}
