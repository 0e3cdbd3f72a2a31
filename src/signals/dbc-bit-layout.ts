import type { DbcSignal } from './dbc-model.js';

/**
 * Where raw bit `k` (0 = least significant) of a signal lies in the payload, as
 * 8 * byte + bitInByte. Motorola start bits name the MSB in DBC "sawtooth" numbering;
 * in wire order (byte 0 bit 7 first) its bits are consecutive, so we walk there.
 */
export function payloadBit(signal: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'>, k: number): number {
  if (signal.byteOrder === 'intel') return signal.startBit + k;
  const wire = toWireOrder(signal.startBit) + (signal.length - 1 - k);
  return toWireOrder(wire);
}

/** Sawtooth bit number ↔ position in transmission order; the mapping is its own inverse. */
function toWireOrder(bit: number): number {
  return bit - (bit % 8) + 7 - (bit % 8);
}

/** Bytes the signal needs, i.e. the smallest payload length that holds it. */
export function requiredLength(signal: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'>): number {
  const lsb = payloadBit(signal, 0);
  const msb = payloadBit(signal, signal.length - 1);
  return Math.floor(Math.max(lsb, msb) / 8) + 1;
}

/** A run of raw bits `rawShift … rawShift+width-1` stored in `byte` at bits `shift … shift+width-1`. */
export interface BitSegment {
  byte: number;
  shift: number;
  width: number;
  rawShift: number;
}

/**
 * The signal as per-byte runs, least significant first. Runs never straddle raw bit 32,
 * so a decoder can assemble the low and high 32-bit halves separately with int32 arithmetic.
 */
export function bitSegments(signal: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'>): BitSegment[] {
  const segments: BitSegment[] = [];
  let k = 0;
  while (k < signal.length) {
    const first = payloadBit(signal, k);
    let width = 1;
    while (
      k + width < signal.length &&
      k + width !== 32 &&
      payloadBit(signal, k + width) === first + width &&
      (first + width) % 8 !== 0
    ) {
      width++;
    }
    segments.push({ byte: Math.floor(first / 8), shift: first % 8, width, rawShift: k });
    k += width;
  }
  return segments;
}
