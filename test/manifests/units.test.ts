import fc from 'fast-check';
import t from 'tap';
import {
  formatDuration,
  formatSize,
  parseDuration,
  parseSize,
  UnitError,
} from '../../src/manifests/units.js';

const MAX = Number.MAX_SAFE_INTEGER;

void t.test('parseDuration accepts every unit, exactly', (t) => {
  const cases: [string, number][] = [
    ['0ns', 0],
    ['0s', 0],
    ['1ns', 1],
    ['1us', 1_000],
    ['1ms', 1_000_000],
    ['1s', 1_000_000_000],
    ['500us', 500_000],
    ['1500us', 1_500_000],
    ['4ms', 4_000_000],
    ['10s', 10_000_000_000],
    ['9007199254740991ns', MAX],
    ['9007199s', 9_007_199_000_000_000],
  ];
  for (const [text, ns] of cases) t.equal(parseDuration(text), ns, text);
  t.end();
});

void t.test('parseSize accepts every unit, KB = 1024 B', (t) => {
  const cases: [string, number][] = [
    ['0B', 0],
    ['0KB', 0],
    ['1B', 1],
    ['1000B', 1000],
    ['1KB', 1024],
    ['16KB', 16_384],
    ['64KB', 65_536],
    ['256KB', 262_144],
    ['1MB', 1_048_576],
    ['9007199254740991B', MAX],
    ['8589934591MB', MAX + 1 - 1_048_576],
  ];
  for (const [text, bytes] of cases) t.equal(parseSize(text), bytes, text);
  t.end();
});

const badDurations = [
  '1.5ms', '-1ms', '+1ms', '1 ms', ' 1ms', '1ms ', '1ms\n', '01ms', '00ns', '1MS', '1Ms', '',
  'ms', '1', '1m', '1h', '1e3ms', '1_000ms', '0x10ms', '１ms', '9007199254740992ns', '9007200s',
  '99999999999999999999999999ns',
];
const badSizes = [
  '1GB', '1kb', '1Kb', '1KiB', '1b', '1.5KB', '-1B', '01B', '1 KB', '', 'KB', '64',
  '9007199254740992B', '8589934592MB',
];

void t.test('parseDuration rejects everything else with E_UNIT naming the value', (t) => {
  for (const text of badDurations) {
    t.throws(() => parseDuration(text), { name: 'UnitError', code: 'E_UNIT', value: text }, JSON.stringify(text));
  }
  t.throws(() => parseDuration('1.5ms'), {
    message: '"1.5ms": not a duration (expected ^(0|[1-9][0-9]*)(ns|us|ms|s)$)',
  });
  t.throws(() => parseDuration('9007199254740992ns'), {
    message: '"9007199254740992ns": duration exceeds 9007199254740991',
  });
  t.end();
});

void t.test('parseSize rejects everything else with E_UNIT naming the value', (t) => {
  for (const text of badSizes) {
    t.throws(() => parseSize(text), { name: 'UnitError', code: 'E_UNIT', value: text }, JSON.stringify(text));
  }
  t.throws(() => parseSize('1GB'), { message: '"1GB": not a size (expected ^(0|[1-9][0-9]*)(B|KB|MB)$)' });
  t.throws(() => parseSize('8589934592MB'), { message: '"8589934592MB": size exceeds 9007199254740991' });
  t.end();
});

void t.test('UnitError is an Error', (t) => {
  const error = new UnitError('x', 'why');
  t.ok(error instanceof Error);
  t.equal(error.message, '"x": why');
  t.end();
});

void t.test('formatDuration gives the shortest exact form', (t) => {
  const cases: [number, string][] = [
    [0, '0s'],
    [1, '1ns'],
    [1500, '1500ns'],
    [1000, '1us'],
    [500_000, '500us'],
    [1_500_000, '1500us'],
    [4_000_000, '4ms'],
    [1_000_000_000, '1s'],
    [60_000_000_000, '60s'],
    [MAX, '9007199254740991ns'],
  ];
  for (const [ns, text] of cases) t.equal(formatDuration(ns), text, text);
  t.end();
});

void t.test('formatSize gives the shortest exact form', (t) => {
  const cases: [number, string][] = [
    [0, '0B'],
    [1000, '1000B'],
    [1024, '1KB'],
    [1536, '1536B'],
    [65_536, '64KB'],
    [262_144, '256KB'],
    [1_048_576, '1MB'],
    [1_572_864, '1536KB'],
  ];
  for (const [bytes, text] of cases) t.equal(formatSize(bytes), text, text);
  t.end();
});

void t.test('format rejects what no manifest can hold', (t) => {
  for (const value of [-1, 1.5, Number.NaN, Infinity, MAX + 1]) {
    t.throws(() => formatDuration(value), { code: 'E_UNIT', value: String(value) }, `duration ${value}`);
    t.throws(() => formatSize(value), { code: 'E_UNIT', value: String(value) }, `size ${value}`);
  }
  t.end();
});

void t.test('format and parse round-trip every safe integer', (t) => {
  // Scaled values too, or nearly every random integer would only exercise ns and B.
  const ns = fc.oneof(
    fc.maxSafeNat(),
    fc.tuple(fc.nat({ max: 9_007_199 }), fc.constantFrom(1e3, 1e6, 1e9)).map(([n, f]) => n * f),
  );
  const bytes = fc.oneof(
    fc.maxSafeNat(),
    fc.tuple(fc.nat({ max: 8_589_934_591 }), fc.constantFrom(1024, 1_048_576)).map(([n, f]) => n * f),
  );
  t.doesNotThrow(() => fc.assert(fc.property(ns, (n) => parseDuration(formatDuration(n)) === n)));
  t.doesNotThrow(() => fc.assert(fc.property(bytes, (n) => parseSize(formatSize(n)) === n)));
  t.end();
});
