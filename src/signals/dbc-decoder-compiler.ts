import { bitSegments, requiredLength, type BitSegment } from './dbc-bit-layout.js';
import type { DbcMessage, DbcSignal } from './dbc-model.js';
import { multiplexConditions, type MultiplexCondition } from './dbc-multiplex.js';

type Decoder = (data: Uint8Array) => boolean;
type DecoderFactory = (out: Float64Array, floatBits: DataView) => Decoder;

/** Shared by all compiled decoders; each use is a set-then-get with no call in between. */
const floatBits = new DataView(new ArrayBuffer(8));

/** A number as JS source that evaluates to exactly the same double. */
function literal(x: number): string {
  if (Object.is(x, -0)) return '(-0)';
  return x < 0 ? `(${String(x)})` : String(x);
}

/** One run of bits as an int32 expression, placed `rawShift - base` bits up. */
function piece(segment: BitSegment, base: number): string {
  let expr = `d[${segment.byte}]`;
  if (segment.shift > 0) expr = `(${expr} >> ${segment.shift})`;
  if (segment.shift + segment.width < 8) expr = `(${expr} & ${(1 << segment.width) - 1})`;
  const up = segment.rawShift - base;
  return up > 0 ? `(${expr} << ${up})` : expr;
}

/** Bits `base … base+width-1` of the raw value as a uint32 or, when `signed`, a sign-extended int32. */
function word(segments: BitSegment[], base: number, width: number, signed: boolean): string {
  const bits = segments.filter((s) => s.rawShift >= base && s.rawShift < base + 32).map((s) => piece(s, base));
  const joined = bits.length === 1 ? (bits[0] as string) : `(${bits.join(' | ')})`;
  if (signed) return width === 32 ? `(${joined} | 0)` : `(${joined} << ${32 - width} >> ${32 - width})`;
  return width === 32 ? `(${joined} >>> 0)` : joined;
}

/**
 * Statements that leave the raw value (see decodeRawSignal) in `target`. Beyond 32 bits the
 * halves are combined with one floating multiply-add: exact up to 2^53, correctly rounded above.
 */
function rawStatements(signal: DbcSignal, target: string): string {
  const segments = bitSegments(signal);
  const { length } = signal;
  if (signal.valueType === 'float32') {
    return `fb.setUint32(0, ${word(segments, 0, 32, false)}); ${target} = fb.getFloat32(0);`;
  }
  if (signal.valueType === 'float64') {
    return `fb.setUint32(0, ${word(segments, 32, 32, false)}); fb.setUint32(4, ${word(segments, 0, 32, false)}); ${target} = fb.getFloat64(0);`;
  }
  if (length <= 32) return `${target} = ${word(segments, 0, length, signal.signed)};`;
  return `${target} = ${word(segments, 32, length - 32, signal.signed)} * 4294967296 + ${word(segments, 0, 32, false)};`;
}

function rangeTest(variable: string, ranges: MultiplexCondition['ranges']): string {
  if (ranges.length === 0) return 'false';
  return ranges
    .map(([low, high]) => (low === high ? `${variable} === ${literal(low)}` : `(${variable} >= ${literal(low)} && ${variable} <= ${literal(high)})`))
    .join(' || ');
}

/**
 * A decoder for some signals of one message, generated as JS source so that bit positions,
 * masks, factors and offsets are constants: per frame it touches only the payload, `out`
 * and the shared float scratch, and allocates nothing. It writes the physical value of
 * `signalNames[i]` to `out[slots[i]]`, or NaN when the signal is not in this frame: a
 * multiplexer does not select it, or the payload ends before its last bit (real ECUs send
 * frames shorter than their DBC says; what the frame carries is still sound). It returns
 * whether the payload was as long as the message.
 */
export function compileMessageDecoder(
  message: DbcMessage,
  signalNames: readonly string[],
  out: Float64Array,
  slots: readonly number[],
): Decoder {
  if (signalNames.length !== slots.length) {
    throw new RangeError(`${signalNames.length} signal names but ${slots.length} slots`);
  }
  const conditions = multiplexConditions(message);
  if (typeof conditions === 'string') throw new Error(conditions);
  const lines = ['var v;'];
  const switchVariables = new Map<DbcSignal, { raw: string; present: string }>();

  const checkFits = (signal: DbcSignal): void => {
    if (requiredLength(signal) > message.length) {
      throw new RangeError(`signal '${signal.name}' does not fit in the ${message.length} bytes of message '${message.name}'`);
    }
  };
  /** JS expression for "signal is in this frame", declaring the switch variables it needs first. */
  const presence = (signal: DbcSignal): string => {
    const condition = conditions.get(signal);
    if (condition === undefined) return 'true';
    const { switchSignal, ranges } = condition;
    let variables = switchVariables.get(switchSignal);
    if (variables === undefined) {
      checkFits(switchSignal);
      const parent = presence(switchSignal);
      const n = switchVariables.size;
      variables = { raw: `s${n}`, present: parent === 'true' ? parent : `p${n}` };
      // A switch the payload does not reach is NaN, which selects nothing.
      lines.push(`var ${variables.raw} = NaN; if (d.length >= ${requiredLength(switchSignal)}) { ${rawStatements(switchSignal, variables.raw)} }`);
      if (parent !== 'true') lines.push(`var ${variables.present} = ${parent};`);
      switchVariables.set(switchSignal, variables);
    }
    const test = rangeTest(variables.raw, ranges);
    return variables.present === 'true' ? test : `${variables.present} && (${test})`;
  };

  signalNames.forEach((name, i) => {
    const signal = message.signals.find((s) => s.name === name);
    if (signal === undefined) {
      throw new Error(`message '${message.name}' (id 0x${message.id.toString(16)}) has no signal '${name}'`);
    }
    const slot = slots[i] as number;
    if (!Number.isInteger(slot) || slot < 0 || slot >= out.length) {
      throw new RangeError(`slot ${slot} of signal '${name}' is outside the output array of ${out.length}`);
    }
    checkFits(signal);
    const scaled =
      signal.valueType === 'integer' && signal.factor === 1 && signal.offset === 0
        ? 'v'
        : `v * ${literal(signal.factor)} + ${literal(signal.offset)}`;
    const decode = `${rawStatements(signal, 'v')} out[${slot}] = ${scaled};`;
    const multiplexed = presence(signal);
    const present = multiplexed === 'true' ? `d.length >= ${requiredLength(signal)}` : `d.length >= ${requiredLength(signal)} && ${multiplexed}`;
    lines.push(`if (${present}) { ${decode} } else out[${slot}] = NaN;`);
  });
  lines.push(`return d.length >= ${message.length};`);

  const source = `'use strict';\nreturn function (d) {\n  ${lines.join('\n  ')}\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from numbers only, never from DBC text
  const factory = new Function('out', 'fb', source) as DecoderFactory;
  return factory(out, floatBits);
}
