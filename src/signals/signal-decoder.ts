import type { CanFrame } from '../can/can-frame.js';
import { compileMessageDecoder } from './message-codec.js';
import type { MappedSignal, MaxAgeSource, Vehicle } from './signal-map.js';
import { BusPeriods } from './bus-periods.js';

/** A signal's value in VSS units and how old it is. */
export interface SignalReading {
  readonly value: number;
  readonly ageMs: number;
}

/** Latest fresh VSS values by name; a stale or never-seen signal is `null`. */
export type SignalSnapshot = Readonly<Record<string, SignalReading | null>>;

/** How fresh a signal must be, where that comes from, and how fresh it is. */
export interface SignalFreshness {
  /** Null while the period is still being learned from the bus. */
  readonly maxAgeMs: number | null;
  readonly source: MaxAgeSource;
  /** The period observed on the bus (median of the recent intervals); null before two frames. */
  readonly periodMs: number | null;
  /** Null when never received. */
  readonly ageMs: number | null;
}

/** What the bus carried of one signal, for a first look at a new vehicle. */
export interface SignalTally {
  /** Frames that carried the signal (a multiplexed one only counts where it was selected). */
  readonly frames: number;
  /** Smallest and largest VSS value decoded; null before any. */
  readonly min: number | null;
  readonly max: number | null;
  /** DBC values the map's `values` does not list, with how often each came (at most 32 distinct). */
  readonly unmapped: ReadonlyMap<number, number>;
}

export interface DecoderStats {
  /** Frames of the messages the vehicle map uses: as long as their DBC message, or shorter but carrying a mapped signal. */
  decoded: number;
  /** Frames of messages the vehicle map does not use. */
  ignored: number;
  /** Frames shorter than their DBC message: the signals they carry are decoded, the ones past the end are not. */
  short: number;
  /** Short frames of a mapped message that carried none of its mapped signals: counted, nothing decoded. */
  unusable: number;
}

interface MessageSlot {
  readonly decode: (data: Uint8Array) => boolean;
  readonly scratch: Float64Array;
  /** Index into the decoder's value arrays for each mapped signal, then -1 for each sign signal. */
  readonly slots: readonly number[];
  /** For each mapped signal, the scratch index of its sign signal, or -1. */
  readonly signAt: readonly number[];
}

const messageKey = (id: number, extended: boolean): number => (extended ? id + 0x1_0000_0000 : id);
/** Distinct unmapped values remembered per signal: enough to name them, bounded against a noisy bus. */
const UNMAPPED_LIMIT = 32;

/**
 * Decodes the frames of the messages a vehicle map uses into VSS values, keeping the
 * latest value and its time per signal in preallocated arrays (nothing allocated per frame),
 * and learning each signal's period from the bus where neither the map nor the DBC gives one.
 */
export class SignalDecoder {
  readonly stats: DecoderStats = { decoded: 0, ignored: 0, short: 0, unusable: 0 };
  private readonly signals: readonly MappedSignal[];
  private readonly values: Float64Array;
  private readonly timesUs: Float64Array;
  private readonly periods: BusPeriods;
  private readonly frames: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly unmapped: Array<Map<number, number> | undefined>;
  private readonly messages = new Map<number, MessageSlot>();

  constructor(vehicle: Vehicle) {
    this.signals = vehicle.signals;
    const n = this.signals.length;
    this.values = new Float64Array(n);
    this.timesUs = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.periods = new BusPeriods(n);
    this.frames = new Float64Array(n);
    this.min = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.unmapped = new Array<Map<number, number> | undefined>(n);
    const byMessage = new Map<number, number[]>();
    this.signals.forEach((s, i) => {
      const key = messageKey(s.message.id, s.message.extended);
      byMessage.set(key, [...(byMessage.get(key) ?? []), i]);
    });
    for (const [key, mapped] of byMessage) {
      const message = this.signals[mapped[0] as number]!.message;
      const names = mapped.map((i) => this.signals[i]!.signal.name);
      const signAt = mapped.map((i) => {
        const sign = this.signals[i]!.sign;
        if (!sign) return -1;
        names.push(sign.signal.name);
        return names.length - 1;
      });
      const scratch = new Float64Array(names.length);
      const decode = compileMessageDecoder(message, names, scratch, names.map((_, j) => j));
      this.messages.set(key, { decode, scratch, slots: mapped, signAt });
    }
  }

  /** VSS names in the order of the vehicle map. */
  get names(): string[] {
    return this.signals.map((s) => s.vss);
  }

  /** Takes one frame; returns whether it carried mapped signals (all of them or, when short, some). */
  accept(frame: CanFrame): boolean {
    const message = frame.remote || frame.error ? undefined : this.messages.get(messageKey(frame.id, frame.extended));
    if (!message) {
      this.stats.ignored++;
      return false;
    }
    const full = message.decode(frame.data);
    const { scratch, slots, signAt } = message;
    let carried = false;
    for (let j = 0; j < slots.length; j++) {
      const raw = scratch[j]!;
      // NaN: a multiplexed signal another switch value carries, or one past the end of a short frame.
      if (Number.isNaN(raw)) continue;
      carried = true;
      const i = slots[j]!;
      const s = this.signals[i]!;
      this.periods.arrived(i, frame.timeUs);
      this.frames[i]!++;
      let value = s.values ? s.values.get(raw) : raw * s.factor + s.offset;
      // A code the map does not list is not a value: the last known one stands until it ages out.
      if (value === undefined) {
        this.countUnmapped(i, raw);
        continue;
      }
      const at = signAt[j]!;
      if (at >= 0) {
        const sign = scratch[at]!;
        if (Number.isNaN(sign)) continue;
        if (sign === s.sign!.negativeWhen) value = -value;
      }
      // A float signal's ±Infinity would poison every average that reads it.
      if (!Number.isFinite(value)) continue;
      if (value < this.min[i]!) this.min[i] = value;
      if (value > this.max[i]!) this.max[i] = value;
      this.values[i] = value;
      this.timesUs[i] = frame.timeUs;
    }
    if (!full) this.stats.short++;
    if (full || carried) this.stats.decoded++;
    else this.stats.unusable++;
    return true;
  }

  /** The shortest known maximum age among `names` (the mapped ones): how soon one of them can go stale. */
  shortestMaxAgeMs(names: readonly string[]): number | undefined {
    let shortest: number | undefined;
    this.signals.forEach((s, i) => {
      const age = names.includes(s.vss) ? this.maxAgeOf(i) : undefined;
      if (age !== undefined && (shortest === undefined || age < shortest)) shortest = age;
    });
    return shortest;
  }

  /** The value of `vss` at `nowUs`, or undefined when never seen, still learning, or older than its maximum age. */
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

  /** Each signal's maximum age, its source and its age at `nowUs`: what `why` and the decision record show. */
  freshness(nowUs: number): Record<string, SignalFreshness> {
    const out: Record<string, SignalFreshness> = {};
    this.signals.forEach((s, i) => {
      const seen = Number.isFinite(this.timesUs[i]!);
      out[s.vss] = { maxAgeMs: this.maxAgeOf(i) ?? null, source: s.maxAgeSource, periodMs: this.periods.periodMs(i) ?? null, ageMs: seen ? (nowUs - this.timesUs[i]!) / 1000 : null };
    });
    return out;
  }

  /** What the bus carried of `vss` so far. */
  tally(vss: string): SignalTally | undefined {
    const i = this.signals.findIndex((s) => s.vss === vss);
    if (i < 0) return undefined;
    const seen = this.frames[i]! > 0 && Number.isFinite(this.min[i]!);
    return { frames: this.frames[i]!, min: seen ? this.min[i]! : null, max: seen ? this.max[i]! : null, unmapped: new Map(this.unmapped[i] ?? []) };
  }

  private maxAgeOf(i: number): number | undefined {
    return this.signals[i]!.maxAgeMs ?? this.periods.maxAgeMs(i);
  }

  private readingAt(i: number, nowUs: number): SignalReading | null {
    const maxAgeMs = this.maxAgeOf(i);
    if (maxAgeMs === undefined) return null;
    const ageMs = (nowUs - this.timesUs[i]!) / 1000;
    // A value from after `nowUs` (CAN time stepped back) is no reading of now.
    return ageMs >= 0 && ageMs <= maxAgeMs ? { value: this.values[i]!, ageMs } : null;
  }

  private countUnmapped(i: number, raw: number): void {
    const seen = (this.unmapped[i] ??= new Map<number, number>());
    const count = seen.get(raw);
    if (count !== undefined) seen.set(raw, count + 1);
    else if (seen.size < UNMAPPED_LIMIT) seen.set(raw, 1);
  }
}
