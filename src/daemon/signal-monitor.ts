import { createFrameSource, parseSourceSpec } from '../can/frame-source-spec.js';
import type { FrameSource } from '../can/can-frame.js';
import type { Logger } from '../common/logger.js';
import { frameBatchWindowMs } from '../signals/frame-batch-window.js';
import { SignalDecoder, type SignalSnapshot } from '../signals/signal-decoder.js';
import type { MappedSignal, Vehicle } from '../signals/signal-map.js';

export interface MonitorOptions {
  vehicle: Vehicle;
  /** `replay:FILE`, `socketcan:IFACE` or `-`. */
  can: string;
  speed: number;
  /** How often, in CAN time, a snapshot is reported. */
  intervalMs: number;
  logger: Logger;
}

/**
 * The first half of the pipeline on its own: frames → VSS values, reported as snapshots
 * at a fixed interval of CAN time. What an integrator runs first on a new vehicle.
 */
export class SignalMonitor {
  readonly source: FrameSource;
  readonly decoder: SignalDecoder;
  readonly signals: readonly MappedSignal[];
  private firstUs: number | undefined;
  private nextUs: number | undefined;

  constructor(private readonly options: MonitorOptions) {
    this.signals = options.vehicle.signals;
    this.decoder = new SignalDecoder(options.vehicle);
    const messages = [...new Set(this.signals.map((s) => s.message))];
    this.source = createFrameSource(parseSourceSpec(options.can), {
      speed: options.speed,
      loop: false,
      filters: messages.map((m) => ({ id: m.id, extended: m.extended })),
      batchWindowMs: frameBatchWindowMs(options.vehicle),
      logger: options.logger,
    });
  }

  /**
   * Runs until the source ends or stop() is called, reporting one snapshot per interval
   * with its time and the time elapsed since the first frame.
   */
  run(report: (timeUs: number, elapsedUs: number, snapshot: SignalSnapshot) => void): Promise<void> {
    return this.source.start((frame) => {
      this.decoder.accept(frame);
      this.firstUs ??= frame.timeUs;
      this.nextUs ??= frame.timeUs + this.options.intervalMs * 1000;
      if (frame.timeUs < this.nextUs) return;
      while (this.nextUs <= frame.timeUs) this.nextUs += this.options.intervalMs * 1000;
      report(frame.timeUs, frame.timeUs - this.firstUs, this.decoder.snapshot(frame.timeUs));
    });
  }

  stop(): Promise<void> {
    return this.source.stop();
  }
}
