import t from 'tap';
import fc from 'fast-check';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { payloadBit } from '../../src/signals/dbc-bit-layout.js';
import type { DbcMessage, DbcSignal } from '../../src/signals/dbc-model.js';
import { loadDbcFile } from '../../src/signals/dbc-parser.js';
import { compileMessageDecoder, decodeSignal, encodeRawSignal } from '../../src/signals/message-codec.js';
import { packageRoot } from '../../src/common/package-root.js';

/** ~2900 messages: enough runs to reach the branches of small multiplexers while the file stays within a few seconds. */
const RUNS_PER_MESSAGE = 40;

/** The switch and the raw ranges that select `signal`, written independently of the codec. */
function selector(message: DbcMessage, signal: DbcSignal): [DbcSignal, Array<[number, number]>] | undefined {
  if (signal.multiplexSwitch !== undefined) {
    return [message.signals.find((s) => s.name === signal.multiplexSwitch) as DbcSignal, signal.multiplexRanges ?? []];
  }
  if (signal.multiplexValue === undefined) return undefined;
  const switchSignal = message.signals.find((s) => s.multiplexer === 'switch' && s !== signal) as DbcSignal;
  return [switchSignal, [[signal.multiplexValue, signal.multiplexValue]]];
}

function present(message: DbcMessage, signal: DbcSignal, data: Uint8Array): boolean {
  const selected = selector(message, signal);
  if (selected === undefined) return true;
  const [switchSignal, ranges] = selected;
  if (!present(message, switchSignal, data)) return false;
  const raw = (decodeSignal(switchSignal, data) - switchSignal.offset) / switchSignal.factor;
  return ranges.some(([low, high]) => raw >= low && raw <= high);
}

function depth(message: DbcMessage, signal: DbcSignal): number {
  const selected = selector(message, signal);
  return selected === undefined ? 0 : 1 + depth(message, selected[0]);
}

/** Any raw value of the signal; switches favour the values that select other signals. */
function rawValue(message: DbcMessage, signal: DbcSignal): fc.Arbitrary<number> {
  if (signal.valueType === 'float32') return fc.float().map(Number);
  if (signal.valueType === 'float64') return fc.double();
  const bits = BigInt(signal.length);
  const [min, max] = signal.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  const any = fc.bigInt({ min, max }).map(Number);
  const selecting = message.signals.flatMap((s) => {
    const selected = selector(message, s);
    return selected?.[0] === signal ? selected[1].flat() : [];
  });
  return selecting.length === 0 ? any : fc.oneof({ arbitrary: fc.constantFrom(...selecting), weight: 3 }, { arbitrary: any, weight: 1 });
}

function expectedPhysical(signal: DbcSignal, raw: number): number {
  return (signal.valueType === 'float32' ? Math.fround(raw) : raw) * signal.factor + signal.offset;
}

function checkMessage(message: DbcMessage): void {
  const names = message.signals.map((s) => s.name);
  const out = new Float64Array(names.length);
  const decode = compileMessageDecoder(message, names, out, names.map((_, i) => i));
  const ordered = [...message.signals].sort((a, b) => depth(message, a) - depth(message, b));
  const bitsOf = new Map(message.signals.map((s) => [s, new Set(Array.from({ length: s.length }, (_, k) => payloadBit(s, k)))]));
  const overlapping = new Set(
    message.signals.filter((s) => message.signals.some((o) => o !== s && [...(bitsOf.get(o) ?? [])].some((b) => bitsOf.get(s)?.has(b)))),
  );
  const arbitrary = fc.tuple(
    fc.uint8Array({ minLength: message.length, maxLength: message.length }),
    fc.tuple(...message.signals.map((s) => rawValue(message, s))),
  );
  fc.assert(
    fc.property(arbitrary, ([background, raws]) => {
      // Random background bits check that encoding leaves other signals alone and decoding isolates its bits.
      const data = Uint8Array.from(background);
      const written = new Map<DbcSignal, number>();
      for (const signal of ordered) {
        const raw = raws[message.signals.indexOf(signal)] as number;
        if (!present(message, signal, data)) continue;
        encodeRawSignal(signal, raw, data);
        written.set(signal, raw);
      }
      if (!decode(data)) throw new Error('compiled decoder refused a full-length frame');
      message.signals.forEach((signal, i) => {
        const isPresent = present(message, signal, data);
        const reference = isPresent ? decodeSignal(signal, data) : NaN;
        if (!Object.is(out[i], reference)) {
          throw new Error(`${message.name}.${signal.name}: compiled ${out[i]}, decodeSignal ${reference}`);
        }
        const raw = written.get(signal);
        if (raw === undefined || !isPresent || overlapping.has(signal)) return;
        if (!Object.is(reference, expectedPhysical(signal, raw))) {
          throw new Error(`${message.name}.${signal.name}: wrote raw ${raw}, decoded ${reference}`);
        }
      });
    }),
    { numRuns: RUNS_PER_MESSAGE },
  );
}

/** The opendbc files in the shared folder beside the project, read in place. */
const CORPUS_DIR = join(packageRoot(), '../shared/dbc/opendbc/');
const files = existsSync(CORPUS_DIR)
  ? readdirSync(CORPUS_DIR).filter((name) => name.endsWith('.dbc')).sort().map((name) => join(CORPUS_DIR, name))
  : undefined;
// Locally a missing corpus skips; in CI it must fail.
const corpusOptions = files === undefined && !process.env.CI ? { skip: `no DBC corpus at ${CORPUS_DIR}` } : {};

void t.test('the messages a file with quirks keeps round-trip like any other', (t) => {
  const dbc = loadDbcFile(join(packageRoot(), 'test/signals/fixtures/quirks.dbc'));
  t.same(dbc.messages.map((m) => m.name), ['2017_5', 'NoFlag', 'Extended']);
  t.doesNotThrow(() => dbc.messages.forEach(checkMessage));
  t.end();
});

void t.test('encode random raw values, decode with decodeSignal and the compiled decoder: same values', corpusOptions, (t) => {
  if (files === undefined) {
    t.fail(`no DBC corpus at ${CORPUS_DIR}: CI must have the shared folder beside the project`);
    t.end();
    return;
  }
  for (const file of files) {
    const dbc = loadDbcFile(file);
    const messages = dbc.messages.filter((m) => m.signals.length > 0);
    t.doesNotThrow(() => messages.forEach(checkMessage), `${basename(file)}: ${messages.length} messages`);
  }
  t.end();
});
