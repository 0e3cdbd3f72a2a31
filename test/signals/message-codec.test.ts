import t, { type Test } from 'tap';
import type { DbcMessage, DbcSignal } from '../../src/signals/dbc-model.js';
import { parseDbc } from '../../src/signals/dbc-parser.js';
import {
  compileMessageDecoder,
  decodeRawSignal,
  decodeSignal,
  encodeMessage,
  encodeRawSignal,
  encodeSignal,
} from '../../src/signals/message-codec.js';

// Expected payloads below were worked out by hand from the DBC bit numbering, not by this codec.

type Layout = Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder'> & Partial<DbcSignal>;

function signal(layout: Layout): DbcSignal {
  return {
    name: 'S',
    signed: false,
    factor: 1,
    offset: 0,
    minimum: 0,
    maximum: 0,
    unit: '',
    receivers: [],
    valueType: 'integer',
    ...layout,
  };
}

function message(signals: DbcSignal[], length = 8): DbcMessage {
  return { id: 0x123, extended: false, name: 'M', length, sender: 'ECU', signals, fd: length > 8, transmitters: ['ECU'] };
}

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.split(' '), (b) => parseInt(b, 16));
const hex = (data: Uint8Array): string => Array.from(data, (b) => b.toString(16).padStart(2, '0')).join(' ');

/** Values from a compiled decoder for all signals of the message, or false. */
function compiled(msg: DbcMessage, data: Uint8Array, names = msg.signals.map((s) => s.name)): number[] | false {
  const out = new Float64Array(names.length + 2).fill(42);
  const slots = names.map((_, i) => i + 2);
  const decode = compileMessageDecoder(msg, names, out, slots);
  return decode(data) ? Array.from(out.subarray(2)) : false;
}

/** Encodes `physical` into a zeroed payload, checks the bytes, and decodes it back both ways. */
function vector(t: Test, s: DbcSignal, physical: number, expectedHex: string, decoded = physical): void {
  const data = new Uint8Array(expectedHex.split(' ').length);
  encodeSignal(s, physical, data);
  t.equal(hex(data), expectedHex, `encode ${physical}`);
  t.equal(decodeSignal(s, bytes(expectedHex)), decoded, `decodeSignal ${expectedHex}`);
  t.same(compiled(message([s], data.length), bytes(expectedHex)), [decoded], `compiled ${expectedHex}`);
}

void t.test('motorola signals crossing bytes', (t) => {
  vector(t, signal({ startBit: 7, length: 16, byteOrder: 'motorola' }), 0x1234, '12 34 00 00 00 00 00 00');
  // MSB at byte 1 bit 4: bits 12..8, then 23..16, then 31 (b%8 == 0 continues at b+15).
  vector(t, signal({ startBit: 12, length: 14, byteOrder: 'motorola' }), 0x2a5b, '00 15 2d 80 00 00 00 00');
  vector(t, signal({ startBit: 3, length: 12, byteOrder: 'motorola' }), 0xabc, '0a bc 00 00 00 00 00 00');
  t.end();
});

void t.test('intel signals crossing bytes', (t) => {
  vector(t, signal({ startBit: 12, length: 14, byteOrder: 'intel' }), 0x2a5b, '00 b0 a5 02 00 00 00 00');
  vector(t, signal({ startBit: 0, length: 16, byteOrder: 'intel' }), 0x1234, '34 12 00 00 00 00 00 00');
  t.end();
});

void t.test('signed negative values, with factor', (t) => {
  // -100 / 0.5 = -200 = 0xf38 in 12-bit two's complement.
  vector(t, signal({ startBit: 8, length: 12, byteOrder: 'intel', signed: true, factor: 0.5 }), -100, '00 38 0f 00 00 00 00 00');
  vector(t, signal({ startBit: 7, length: 16, byteOrder: 'motorola', signed: true }), -2, 'ff fe 00 00 00 00 00 00');
  vector(t, signal({ startBit: 0, length: 32, byteOrder: 'intel', signed: true }), -2147483648, '00 00 00 80 00 00 00 00');
  vector(t, signal({ startBit: 0, length: 32, byteOrder: 'intel' }), 4294967295, 'ff ff ff ff 00 00 00 00');
  vector(t, signal({ startBit: 0, length: 8, byteOrder: 'intel', signed: true, offset: -40 }), -41, 'ff 00 00 00 00 00 00 00');
  t.end();
});

void t.test('64-bit unsigned and signed, intel and motorola', (t) => {
  const u64i = signal({ startBit: 0, length: 64, byteOrder: 'intel' });
  const s64i = signal({ startBit: 0, length: 64, byteOrder: 'intel', signed: true });
  const u64m = signal({ startBit: 7, length: 64, byteOrder: 'motorola' });
  const s64m = signal({ startBit: 7, length: 64, byteOrder: 'motorola', signed: true });
  vector(t, u64i, 2 ** 53 - 1, 'ff ff ff ff ff ff 1f 00');
  vector(t, u64m, 4822678189205111, '00 11 22 33 44 55 66 77');
  vector(t, s64i, -123456789012345, '87 20 f2 79 b7 8f ff ff');
  vector(t, s64i, -(2 ** 63), '00 00 00 00 00 00 00 80');
  vector(t, s64m, -2, 'ff ff ff ff ff ff ff fe');
  vector(t, s64m, -(2 ** 53) + 1, 'ff e0 00 00 00 00 00 01');
  // Beyond 2^53 a double cannot hold every integer: the value is rounded once, correctly.
  t.equal(decodeSignal(u64i, bytes('ef cd ab 89 67 45 23 01')), Number(0x0123456789abcdefn));
  t.same(compiled(message([u64i]), bytes('ef cd ab 89 67 45 23 01')), [Number(0x0123456789abcdefn)]);
  t.equal(decodeSignal(u64i, bytes('ff ff ff ff ff ff ff ff')), 2 ** 64);
  t.equal(decodeSignal(s64i, bytes('ff ff ff ff ff ff ff ff')), -1);
  t.same(compiled(message([s64i]), bytes('ff ff ff ff ff ff ff ff')), [-1]);
  t.equal(decodeSignal(s64m, bytes('7f ff ff ff ff ff ff ff')), 2 ** 63);
  t.end();
});

void t.test('a 40-bit signal decodes exactly (32-bit shifts would lose the top byte)', (t) => {
  const raw = 737894400291; // 0xab_cdef_0123
  vector(t, signal({ startBit: 4, length: 40, byteOrder: 'intel' }), raw, '30 12 f0 de bc 0a 00 00');
  vector(t, signal({ startBit: 7, length: 40, byteOrder: 'motorola' }), raw, 'ab cd ef 01 23 00 00 00');
  vector(t, signal({ startBit: 7, length: 40, byteOrder: 'motorola', signed: true }), raw - 2 ** 40, 'ab cd ef 01 23 00 00 00');
  t.end();
});

void t.test('float32 and float64 signals reinterpret the raw bits', (t) => {
  vector(t, signal({ startBit: 0, length: 32, byteOrder: 'intel', valueType: 'float32' }), 1.5, '00 00 c0 3f');
  vector(t, signal({ startBit: 7, length: 32, byteOrder: 'motorola', valueType: 'float32' }), -2.5, 'c0 20 00 00');
  vector(t, signal({ startBit: 0, length: 64, byteOrder: 'intel', valueType: 'float64' }), 1.5, '00 00 00 00 00 00 f8 3f');
  vector(t, signal({ startBit: 7, length: 64, byteOrder: 'motorola', valueType: 'float64' }), -0.1, 'bf b9 99 99 99 99 99 9a');
  // Factor and offset still apply: 1.5 * 2 + 1.
  vector(t, signal({ startBit: 0, length: 32, byteOrder: 'intel', valueType: 'float32', factor: 2, offset: 1 }), 4, '00 00 c0 3f');
  const f32 = signal({ startBit: 8, length: 32, byteOrder: 'intel', valueType: 'float32' });
  const data = new Uint8Array(5);
  encodeSignal(f32, 0.1, data);
  t.equal(decodeSignal(f32, data), Math.fround(0.1), 'float32 keeps float32 precision');
  t.end();
});

void t.test('encoding rounds to the nearest raw value, clamps to the raw range and keeps other bits', (t) => {
  const u8 = signal({ startBit: 0, length: 8, byteOrder: 'intel' });
  const s8 = signal({ startBit: 0, length: 8, byteOrder: 'intel', signed: true });
  const cases: Array<[DbcSignal, number, string]> = [
    [u8, 300, 'ff'],
    [u8, -5, '00'],
    [s8, 200, '7f'],
    [s8, -200, '80'],
    [signal({ startBit: 0, length: 8, byteOrder: 'intel', factor: 0.1 }), 1.26, '0d'],
    [signal({ startBit: 0, length: 64, byteOrder: 'intel' }), 1e30, 'ff ff ff ff ff ff ff ff'],
    [signal({ startBit: 0, length: 64, byteOrder: 'intel', signed: true }), 1e30, 'ff ff ff ff ff ff ff 7f'],
    [signal({ startBit: 0, length: 64, byteOrder: 'intel', signed: true }), -Infinity, '00 00 00 00 00 00 00 80'],
    [signal({ startBit: 0, length: 40, byteOrder: 'intel', signed: true }), -1e20, '00 00 00 00 80'],
  ];
  for (const [s, physical, expected] of cases) {
    const data = new Uint8Array(expected.split(' ').length);
    encodeSignal(s, physical, data);
    t.equal(hex(data), expected, `${s.length}-bit ${s.signed ? 'signed' : 'unsigned'} ${physical}`);
  }
  const data = bytes('ff ff');
  encodeSignal(signal({ startBit: 4, length: 8, byteOrder: 'intel' }), 0, data);
  t.equal(hex(data), '0f f0');
  encodeRawSignal(signal({ startBit: 3, length: 4, byteOrder: 'motorola' }), 5, data);
  t.equal(hex(data), '05 f0');
  t.equal(decodeRawSignal(signal({ startBit: 3, length: 4, byteOrder: 'motorola', factor: 3 }), data), 5);
  t.throws(() => encodeSignal(u8, NaN, new Uint8Array(1)), /NaN/);
  t.throws(() => decodeSignal(signal({ startBit: 7, length: 16, byteOrder: 'motorola' }), new Uint8Array(1)), RangeError);
  t.end();
});

const MULTIPLEXED = parseDbc(
  `BU_: ECU X
BO_ 100 Mux: 8 ECU
 SG_ Mode M : 0|4@1+ (1,0) [0|15] "" X
 SG_ Common : 8|8@1+ (1,0) [0|255] "" X
 SG_ A m0 : 16|16@1+ (0.1,0) [0|6553.5] "" X
 SG_ B m1 : 16|8@1- (1,0) [-128|127] "" X
 SG_ C m1 : 24|8@1+ (1,0) [0|255] "" X

BO_ 200 Extended: 4 ECU
 SG_ S1 M : 0|8@1+ (1,0) [0|255] "" X
 SG_ S2 m3M : 8|8@1+ (1,0) [0|255] "" X
 SG_ D m1 : 16|8@1+ (1,0) [0|255] "" X
 SG_ E m2 : 24|8@1+ (1,0) [0|255] "" X

SG_MUL_VAL_ 200 S2 S1 3-5;
SG_MUL_VAL_ 200 D S2 1-1, 10-12;
SG_MUL_VAL_ 200 E S1 0-2;
`,
  'mux.dbc',
);
const [MUX, EXTENDED] = MULTIPLEXED.messages as [DbcMessage, DbcMessage];

void t.test('multiplexed messages: the switch selects what is written and decoded', (t) => {
  const one = encodeMessage(MUX, { Mode: 1, Common: 7, A: 12.3, B: -3, C: 9 });
  t.equal(hex(one), '01 07 fd 09 00 00 00 00', 'A belongs to mode 0 and is not written');
  t.same(compiled(MUX, one), [1, 7, NaN, -3, 9]);
  t.same(compiled(MUX, one, ['C', 'A']), [9, NaN], 'only the requested signals');
  const zero = encodeMessage(MUX, { A: 12.3, B: 5 });
  t.equal(hex(zero), '00 00 7b 00 00 00 00 00', 'an absent switch is 0');
  t.same(compiled(MUX, zero), [0, 0, 12.3, NaN, NaN]);
  t.equal(decodeSignal(MUX.signals[2] as DbcSignal, zero), 12.3);
  t.end();
});

void t.test('extended multiplexing (SG_MUL_VAL_): ranges and nested switches', (t) => {
  t.same(compiled(EXTENDED, bytes('04 0b aa bb')), [4, 11, 0xaa, NaN]);
  t.same(compiled(EXTENDED, bytes('04 02 aa bb')), [4, 2, NaN, NaN]);
  t.same(compiled(EXTENDED, bytes('06 0b aa bb')), [6, NaN, NaN, NaN], 'D is absent when its switch S2 is');
  t.same(compiled(EXTENDED, bytes('01 0b aa bb')), [1, NaN, NaN, 0xbb]);
  t.same(compiled(EXTENDED, bytes('03 01 aa bb'), ['D']), [0xaa], 'switches are decoded even when not requested');
  t.equal(hex(encodeMessage(EXTENDED, { S1: 5, S2: 12, D: 1, E: 2 })), '05 0c 01 00');
  t.equal(hex(encodeMessage(EXTENDED, { S1: 2, S2: 12, D: 1, E: 2 })), '02 00 00 02');
  t.end();
});

void t.test('a frame shorter than the message gives the signals it carries, and says it was short', (t) => {
  const out = new Float64Array(5).fill(42);
  const decode = compileMessageDecoder(MUX, ['Mode', 'Common', 'A', 'B', 'C'], out, [0, 1, 2, 3, 4]);
  t.equal(decode(new Uint8Array(0)), false);
  t.same(Array.from(out), [NaN, NaN, NaN, NaN, NaN], 'an empty payload carries nothing, switch included');
  t.equal(decode(new Uint8Array(7)), false);
  t.same(Array.from(out), [0, 0, 0, NaN, NaN], 'every signal of the first 7 bytes');
  t.equal(decode(new Uint8Array(3)), false);
  t.same(Array.from(out), [0, 0, NaN, NaN, NaN], 'A is selected but ends in byte 4: absent, not garbage');
  t.equal(decode(new Uint8Array(9)), true, 'longer frames are fine');
  t.same(Array.from(out), [0, 0, 0, NaN, NaN]);
  t.end();
});

void t.test('unknown signals and bad slots are refused', (t) => {
  t.throws(() => encodeMessage(MUX, { Speed: 1 }), { message: "message 'Mux' (id 0x64) has no signal 'Speed'" });
  const out = new Float64Array(2);
  t.throws(() => compileMessageDecoder(MUX, ['Speed'], out, [0]), { message: "message 'Mux' (id 0x64) has no signal 'Speed'" });
  t.throws(() => compileMessageDecoder(MUX, ['Mode'], out, [2]), RangeError);
  t.throws(() => compileMessageDecoder(MUX, ['Mode', 'A'], out, [0]), RangeError);
  const outside = message([signal({ startBit: 60, length: 8, byteOrder: 'intel' })]);
  t.throws(() => compileMessageDecoder(outside, ['S'], out, [0]), RangeError);
  t.end();
});
