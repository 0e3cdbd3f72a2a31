import type { CanFrame } from '../can/can-frame.js';
import { compileMessageDecoder } from './message-codec.js';
import type { MappedSignal, Vehicle } from './signal-map.js';

/** A signal's value in VSS units and how old it is. */
export interface SignalReading {
  readonly value: number;
  readonly ageMs: number;
}

/** Latest fresh VSS values by name; a stale or never-seen signal is `null`. */
export type SignalSnapshot = Readonly<Record<string, SignalReading | null>>;

export interface DecoderStats {
  decoded: number;
  /** Frames of messages the vehicle map does not use. */
  ignored: number;
  /** Frames shorter than their DBC message: counted, not decoded. */
  badLength: number;
}

interface MessageSlot {
  readonly decode: (data: Uint8Array) => boolean;
  readonly scratch: Float64Array;
  /** Index into the decoder's value arrays for each decoded signal. */
  readonly slots: readonly number[];
}

const messageKey = (id: number, extended: boolean): number => (extended ? id + 0x1_0000_0000 : id);

/**
 * Decodes the frames of the messages a vehicle map uses into VSS values, keeping the
 * latest value and its time per signal in preallocated arrays (nothing allocated per frame).
 */
export class SignalDecoder {
  readonly stats: DecoderStats = { decoded: 0, ignored: 0, badLength: 0 };
  private readonly signals: readonly MappedSignal[];
  private readonly values: Float64Array;
  private readonly timesUs: Float64Array;
  private readonly messages = new Map<number, MessageSlot>();

  constructor(vehicle: Vehicle) {
    this.signals = vehicle.signals;
    this.values = new Float64Array(this.signals.length);
    this.timesUs = new Float64Array(this.signals.length).fill(Number.NEGATIVE_INFINITY);
    const byMessage = new Map<number, number[]>();
    this.signals.forEach((s, i) => {
      const key = messageKey(s.message.id, s.message.extended);
      byMessage.set(key, [...(byMessage.get(key) ?? []), i]);
    });
    for (const [key, slots] of byMessage) {
      const message = this.signals[slots[0] as number]!.message;
      const scratch = new Float64Array(slots.length);
      const decode = compileMessageDecoder(message, slots.map((i) => this.signals[i]!.signal.name), scratch, slots.map((_, j) => j));
      this.messages.set(key, { decode, scratch, slots });
    }
  }

  /** VSS names in the order of the vehicle map. */
  get names(): string[] {
    return this.signals.map((s) => s.vss);
  }

  /** Takes one frame; returns whether it carried mapped signals and was decoded. */
  accept(frame: CanFrame): boolean {
    const message = frame.remote || frame.error ? undefined : this.messages.get(messageKey(frame.id, frame.extended));
    if (!message) {
      this.stats.ignored++;
      return false;
    }
    if (!message.decode(frame.data)) {
      this.stats.badLength++;
      return false;
    }
    this.stats.decoded++;
    const { scratch, slots } = message;
    for (let j = 0; j < slots.length; j++) {
      const raw = scratch[j]!;
      // NaN marks a multiplexed signal absent from this frame: its last value stands.
      if (Number.isNaN(raw)) continue;
      const i = slots[j]!;
      const s = this.signals[i]!;
      const value = s.values ? s.values.get(raw) : raw * s.factor + s.offset;
      // A code the map does not list is not a value: the signal reads as missing until a known one comes.
      if (value === undefined) continue;
      this.values[i] = value;
      this.timesUs[i] = frame.timeUs;
    }
    return true;
  }

  /** The shortest maximum age among `names` (the mapped ones): how soon one of them can go stale. */
  shortestMaxAgeMs(names: readonly string[]): number | undefined {
    const ages = this.signals.filter((s) => names.includes(s.vss)).map((s) => s.maxAgeMs);
    return ages.length === 0 ? undefined : Math.min(...ages);
  }

  /** The value of `vss` at `nowUs`, or undefined when never seen or older than its maximum age. */
  read(vss: string, nowUs: number): number | undefined {
    const i = this.signals.findIndex((s) => s.vss === vss);
    if (i < 0) return undefined;
    return this.readingAt(i, nowUs)?.value;
  }

  snapshot(nowUs: number): SignalSnapshot {
    const out: Record<string, SignalReading | null> = {};
    this.signals.forEach((s, i) => (out[s.vss] = this.readingAt(i, nowUs)));
    return out;
  }

  private readingAt(i: number, nowUs: number): SignalReading | null {
    const ageMs = (nowUs - this.timesUs[i]!) / 1000;
    return ageMs <= this.signals[i]!.maxAgeMs ? { value: this.values[i]!, ageMs } : null;
  }
}
