import { createHash } from 'node:crypto';
import type { CanFrame } from '../../src/can/can-frame.js';
import { SignalDecoder } from '../../src/signals/signal-decoder.js';
import type { Vehicle } from '../../src/signals/signal-map.js';

/**
 * Summarises a stream of frames and what the decoder makes of each: two runs agree on
 * the digests only if they saw the same frames in the same order and decoded the same
 * values. Used on both sides of the VM boundary.
 */
export class DecodeDigest {
  frames = 0;
  private readonly decoder: SignalDecoder;
  private readonly framesHash = createHash('sha256');
  private readonly valuesHash = createHash('sha256');
  private lastUs = 0;

  constructor(private readonly vehicle: Vehicle) {
    this.decoder = new SignalDecoder(vehicle);
  }

  add(frame: CanFrame): void {
    this.frames++;
    this.lastUs = frame.timeUs;
    this.framesHash.update(`${frame.id.toString(16)}#${Buffer.from(frame.data).toString('hex')}\n`);
    this.decoder.accept(frame);
    const own = this.vehicle.signals.filter((s) => s.message.id === frame.id).map((s) => `${s.vss}=${this.decoder.read(s.vss, frame.timeUs)}`);
    this.valuesHash.update(own.join(',') + '\n');
  }

  /** The latest value of every signal, as of the last frame. */
  values(): Record<string, number | undefined> {
    return Object.fromEntries(this.vehicle.signals.map((s) => [s.vss, this.decoder.read(s.vss, this.lastUs)]));
  }

  result(): { frames: number; framesSha256: string; valuesSha256: string } {
    return { frames: this.frames, framesSha256: this.framesHash.digest('hex'), valuesSha256: this.valuesHash.digest('hex') };
  }
}
