import { payloadBit, requiredLength } from './dbc-bit-layout.js';
import type { DbcMessage, DbcSignal } from './dbc-model.js';
import { inRanges, multiplexConditions, multiplexDepth, type MultiplexCondition } from './dbc-multiplex.js';

export { compileMessageDecoder } from './dbc-decoder-compiler.js';

const TWO_POW_32 = 4294967296;

/** Reinterprets float bits without allocating; big-endian on both sides so host order does not matter. */
const floatBits = new DataView(new ArrayBuffer(8));

function checkFits(signal: DbcSignal, data: Uint8Array): void {
  const needed = requiredLength(signal);
  if (data.length < needed) {
    throw new RangeError(`signal '${signal.name}' needs ${needed} bytes, the payload has ${data.length}`);
  }
}

/**
 * The value before factor and offset: an integer (exact up to 2^53, correctly rounded
 * beyond) or, for float signals, the float the bits encode. Reads bit by bit on purpose:
 * it is the reference the compiled decoders are tested against.
 */
export function decodeRawSignal(signal: DbcSignal, data: Uint8Array): number {
  checkFits(signal, data);
  // Two exact 32-bit halves; combining them rounds once, which JS 32-bit shifts on one number cannot do.
  let lo = 0;
  let hi = 0;
  for (let k = signal.length - 1; k >= 0; k--) {
    const p = payloadBit(signal, k);
    const bit = ((data[p >> 3] as number) >> (p & 7)) & 1;
    if (k >= 32) hi = hi * 2 + bit;
    else lo = lo * 2 + bit;
  }
  if (signal.valueType === 'float32') {
    floatBits.setUint32(0, lo);
    return floatBits.getFloat32(0);
  }
  if (signal.valueType === 'float64') {
    floatBits.setUint32(0, hi);
    floatBits.setUint32(4, lo);
    return floatBits.getFloat64(0);
  }
  if (signal.signed) {
    if (signal.length <= 32) return lo >= 2 ** (signal.length - 1) ? lo - 2 ** signal.length : lo;
    if (hi >= 2 ** (signal.length - 33)) hi -= 2 ** (signal.length - 32);
  }
  return hi * TWO_POW_32 + lo;
}

/** The physical value raw * factor + offset. */
export function decodeSignal(signal: DbcSignal, data: Uint8Array): number {
  return decodeRawSignal(signal, data) * signal.factor + signal.offset;
}

/**
 * Writes a raw value (see decodeRawSignal) into the signal's bits, leaving the other bits
 * alone. Integers are rounded to the nearest and clamped to the signal's raw range.
 */
export function encodeRawSignal(signal: DbcSignal, raw: number, data: Uint8Array): void {
  checkFits(signal, data);
  const [hi, lo] = rawHalves(signal, raw);
  for (let k = 0; k < signal.length; k++) {
    const bit = k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
    const p = payloadBit(signal, k);
    const index = p >> 3;
    const mask = 1 << (p & 7);
    data[index] = bit === 1 ? (data[index] as number) | mask : (data[index] as number) & ~mask;
  }
}

/** The bit pattern as two 32-bit halves; bits above the signal's length are ignored by the caller. */
function rawHalves(signal: DbcSignal, raw: number): [number, number] {
  if (signal.valueType === 'float32') {
    floatBits.setFloat32(0, raw);
    return [0, floatBits.getUint32(0)];
  }
  if (signal.valueType === 'float64') {
    floatBits.setFloat64(0, raw);
    return [floatBits.getUint32(0), floatBits.getUint32(4)];
  }
  if (Number.isNaN(raw)) throw new RangeError(`cannot encode NaN into integer signal '${signal.name}'`);
  const value = Math.round(raw);
  const length = signal.length;
  // Limits by bit pattern: beyond 2^53 the limits themselves are not doubles.
  if (signal.signed) {
    if (value >= 2 ** (length - 1)) return length <= 32 ? [0, 2 ** (length - 1) - 1] : [2 ** (length - 33) - 1, 0xffffffff];
    if (value < -(2 ** (length - 1))) return length <= 32 ? [0, 2 ** (length - 1)] : [2 ** (length - 33), 0];
  } else {
    if (value >= 2 ** length) return [0xffffffff, 0xffffffff];
    if (value < 0) return [0, 0];
  }
  const hi = Math.floor(value / TWO_POW_32);
  return [hi, value - hi * TWO_POW_32];
}

/** Writes a physical value: raw = (physical - offset) / factor. */
export function encodeSignal(signal: DbcSignal, physical: number, data: Uint8Array): void {
  encodeRawSignal(signal, (physical - signal.offset) / signal.factor, data);
}

interface MessageLayout {
  byName: Map<string, DbcSignal>;
  conditions: Map<DbcSignal, MultiplexCondition>;
  /** Switches before the signals they select. */
  ordered: DbcSignal[];
}

/** Messages are taken as immutable once encoded. */
const layouts = new WeakMap<DbcMessage, MessageLayout>();

function layoutOf(message: DbcMessage): MessageLayout {
  let layout = layouts.get(message);
  if (layout === undefined) {
    const conditions = multiplexConditions(message);
    if (typeof conditions === 'string') throw new Error(conditions);
    const depth = new Map(message.signals.map((s) => [s, multiplexDepth(conditions, s)]));
    const ordered = [...message.signals].sort((a, b) => (depth.get(a) as number) - (depth.get(b) as number));
    layout = { byName: new Map(message.signals.map((s) => [s.name, s])), conditions, ordered };
    layouts.set(message, layout);
  }
  return layout;
}

function isPresent(layout: MessageLayout, signal: DbcSignal, data: Uint8Array): boolean {
  const condition = layout.conditions.get(signal);
  if (condition === undefined) return true;
  const { switchSignal, ranges } = condition;
  return isPresent(layout, switchSignal, data) && inRanges(ranges, decodeRawSignal(switchSignal, data));
}

/**
 * A payload of `message.length` bytes with the given physical values; signals not given
 * are raw 0. Multiplexed signals are written only when the switch values (given or 0)
 * select them; values for other multiplex branches are ignored.
 */
export function encodeMessage(message: DbcMessage, values: Readonly<Record<string, number>>): Uint8Array {
  const layout = layoutOf(message);
  for (const name of Object.keys(values)) {
    if (!layout.byName.has(name)) {
      throw new Error(`message '${message.name}' (id 0x${message.id.toString(16)}) has no signal '${name}'`);
    }
  }
  const data = new Uint8Array(message.length);
  for (const signal of layout.ordered) {
    const value = values[signal.name];
    if (value !== undefined && isPresent(layout, signal, data)) encodeSignal(signal, value, data);
  }
  return data;
}
