/* eslint-disable no-console -- the benchmark's report */
/**
 * CAN decode throughput and allocation: our generated per-message decoders against the
 * socketcan package's DatabaseService (native decodeSignal per signal), on the same frames.
 *
 *   npm run bench:can
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { requiredLength } from '../src/signals/dbc-bit-layout.js';
import type { DbcMessage, DbcSignal } from '../src/signals/dbc-model.js';
import { loadDbcFile } from '../src/signals/dbc-parser.js';
import { compileMessageDecoder, encodeRawSignal } from '../src/signals/message-codec.js';
import { canForceGc, forceGc, measureAllocation, type AllocationReport } from './alloc-meter.js';
import { busMessages, FALLBACK_CYCLE_MS, generateFrameMix, type BusMessage, type FrameMix } from './frame-mix.js';
import { writeKcd } from './kcd-writer.js';
import { median, timeRounds } from './timing.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';
import { progress } from './bench-progress.js';
import { packageRoot } from '../src/common/package-root.js';

const SEED = 0x5eedc0de;
const FRAME_COUNT = 50_000;
/** Real vehicle from the opendbc corpus: Motorola signals throughout and a multiplexed message. */
const REAL_DBC = 'fca_giorgio.dbc';

const OURS_WARMUP_FRAMES = 3_000_000;
const OURS_ROUNDS = 9;
const OURS_FRAMES_PER_ROUND = 2_000_000;
const HEAP_FRAMES = 1_000_000;
const NO_GC_FRAMES = 10_000_000;
const THEIRS_WARMUP_FRAMES = 100_000;
const THEIRS_ROUNDS = 5;
const THEIRS_FRAMES_PER_ROUND = 200_000;
const THEIRS_ALLOC_FRAMES = 200_000;

const TARGET_RATE = 20_000_000;
const TARGET_RATIO = 50;

// ---------------------------------------------------------------------------- socketcan

/** The parts of the socketcan package this benchmark uses (loaded like src/can/socketcan-source.ts does). */
interface ScFrame {
  id: number;
  ext: boolean;
  rtr: boolean;
  data: Buffer;
}
interface ScMessage {
  readonly signals: Record<string, { value?: number }>;
}
interface ScDatabaseService {
  readonly messages: Record<string, ScMessage>;
  onMessage(msg: ScFrame): void;
}
interface ScBus {
  readonly messages: unknown[];
}
interface SocketcanModule {
  DatabaseService: new (channel: { addListener(event: string, callback: unknown, instance?: object): void }, bus: ScBus) => ScDatabaseService;
  parseNetworkDescription(file: string): { buses: Record<string, ScBus | undefined> };
}
interface CanSignalsAddon {
  decodeSignal(data: Buffer, bitOffset: number, bitLength: number, intel: boolean, signed: boolean): [number, number];
}

const require = createRequire(import.meta.url);
const socketcan = require('socketcan') as SocketcanModule;
const canSignals = require('socketcan/build/Release/can_signals.node') as CanSignalsAddon;

/** A DatabaseService for `messages` via a KCD file, with a channel stub: frames are fed to onMessage directly. */
function socketcanService(messages: readonly DbcMessage[], dir: string, name: string): { service: ScDatabaseService; notes: string[]; file: string } {
  const { xml, notes } = writeKcd(messages, 'bench');
  const file = join(dir, `${name}.kcd`);
  writeFileSync(file, xml);
  const bus = socketcan.parseNetworkDescription(file).buses.bench;
  if (bus === undefined) throw new Error(`socketcan found no bus in ${file}`);
  if (bus.messages.length !== messages.length) throw new Error(`socketcan read ${bus.messages.length} of ${messages.length} messages from ${file}`);
  const channel = { addListener: (): void => undefined };
  return { service: new socketcan.DatabaseService(channel, bus), notes, file };
}

const socketcanKey = (id: number, extended: boolean): number => id | ((extended ? 1 : 0) << 31);

function decodeSocketcan(service: ScDatabaseService, frames: readonly ScFrame[], count: number): void {
  const n = frames.length;
  let i = 0;
  for (let k = 0; k < count; k++) {
    service.onMessage(frames[i] as ScFrame);
    if (++i === n) i = 0;
  }
}

// ---------------------------------------------------------------------------- ours

type Decoder = (data: Uint8Array) => boolean;

const unknownMessage: Decoder = () => false;

interface OurDecoders {
  /** By 11-bit id; unknown ids hold `unknownMessage` so the table stays packed. */
  readonly standard: Decoder[];
  readonly extended: Map<number, Decoder>;
  readonly out: Float64Array;
  /** Per bus message: its decoder and the slot of its first signal (the others follow). */
  readonly byMessage: Array<{ decode: Decoder; firstSlot: number }>;
}

function compileAll(messages: readonly BusMessage[]): OurDecoders {
  const out = new Float64Array(messages.reduce((n, m) => n + m.message.signals.length, 0));
  const standard = Array.from({ length: 0x800 }, () => unknownMessage);
  const extended = new Map<number, Decoder>();
  const byMessage: OurDecoders['byMessage'] = [];
  let slot = 0;
  for (const { message, vehicle } of messages) {
    const names = message.signals.map((s) => s.name);
    const slots = names.map((_, j) => slot + j);
    const decode = compileMessageDecoder(message, names, out, slots);
    const taken = message.extended ? extended.has(message.id) : standard[message.id] !== unknownMessage;
    if (taken) throw new Error(`${vehicle} message ${message.name}: id 0x${message.id.toString(16)} is already on the bus`);
    if (message.extended) extended.set(message.id, decode);
    else standard[message.id] = decode;
    byMessage.push({ decode, firstSlot: slot });
    slot += names.length;
  }
  return { standard, extended, out, byMessage };
}

/** Decodes `count` frames of the mix (cycling through it); returns how many were decoded. */
function decodeOurs(decoders: OurDecoders, mix: FrameMix, count: number): number {
  const { standard, extended } = decoders;
  const { ids, extended: isExtended, payloads } = mix;
  const n = mix.count;
  let decoded = 0;
  let i = 0;
  for (let k = 0; k < count; k++) {
    const id = ids[i] as number;
    const decode = isExtended[i] === 0 ? (standard[id] as Decoder) : (extended.get(id) ?? unknownMessage);
    if (decode(payloads[i] as Uint8Array)) decoded++;
    if (++i === n) i = 0;
  }
  return decoded;
}

// ---------------------------------------------------------------------------- cross-check

interface CrossCheck {
  compared: number;
  exact: number;
  withinRounding: number;
  mismatches: string[];
  skippedWide: number;
  skippedOther: number;
  notSelected: number;
}

/** Decodes every frame of the mix both ways and compares each signal. */
function crossCheck(mix: FrameMix, ours: OurDecoders, service: ScDatabaseService, frames: readonly ScFrame[]): CrossCheck {
  const result: CrossCheck = { compared: 0, exact: 0, withinRounding: 0, mismatches: [], skippedWide: 0, skippedOther: 0, notSelected: 0 };
  for (let i = 0; i < mix.count; i++) {
    const busMessage = mix.messages[mix.messageIndex[i] as number] as BusMessage;
    const { message } = busMessage;
    const theirs = service.messages[socketcanKey(message.id, message.extended)];
    if (theirs === undefined) throw new Error(`socketcan has no message ${message.name}`);
    for (const signal of Object.values(theirs.signals)) signal.value = undefined;
    service.onMessage(frames[i] as ScFrame);
    const { decode, firstSlot } = ours.byMessage[mix.messageIndex[i] as number] as OurDecoders['byMessage'][number];
    if (!decode(mix.payloads[i] as Uint8Array)) throw new Error(`frame ${i} (${message.name}) not decoded`);
    message.signals.forEach((signal, j) => {
      const mine = ours.out[firstSlot + j] as number;
      const other = theirs.signals[signal.name]?.value;
      if (signal.length > 32) {
        result.skippedWide++;
        return;
      }
      if (signal.valueType !== 'integer' || requiredLength(signal) > 8) {
        result.skippedOther++;
        return;
      }
      const fail = (why: string): void => {
        if (result.mismatches.length < 8) result.mismatches.push(`frame ${i} ${message.name}.${signal.name}: ours ${mine}, socketcan ${String(other)} (${why})`);
      };
      if (Number.isNaN(mine)) {
        result.notSelected++;
        if (other !== undefined) fail('multiplexed out, but socketcan decoded it');
        return;
      }
      result.compared++;
      if (other === undefined) fail('socketcan did not decode it');
      else if (other === mine) result.exact++;
      else if (Math.abs(other - mine) <= 1e-9 * Math.max(1, Math.abs(mine))) result.withinRounding++;
      else fail('different value');
    });
  }
  return result;
}

interface WideExample {
  message: string;
  signal: DbcSignal;
  payload: Uint8Array;
  expected: number;
  ours: number;
  theirs: number | undefined;
  native: [number, number];
}

/** A signal wider than 32 bits through both decoders: the vehicle's own if it has one, else a constructed 40-bit one. */
function wideExample(messages: readonly BusMessage[], dir: string): WideExample {
  const found = messages
    .map((m) => ({ message: m.message, signal: m.message.signals.find((s) => s.length > 32 && s.length <= 52 && s.valueType === 'integer' && s.multiplexValue === undefined && s.multiplexSwitch === undefined) }))
    .find((m) => m.signal !== undefined);
  const signal: DbcSignal = found?.signal ?? {
    name: 'Odometer40', startBit: 0, length: 40, byteOrder: 'intel', signed: false, factor: 1, offset: 0,
    minimum: 0, maximum: 2 ** 40 - 1, unit: '', receivers: [], valueType: 'integer',
  };
  const message: DbcMessage = {
    id: found?.message.id ?? 0x7f0, extended: found?.message.extended ?? false, name: found?.message.name ?? 'WideExample',
    length: found?.message.length ?? 8, sender: '', signals: [signal], fd: false, transmitters: [],
  };
  const payload = new Uint8Array(message.length);
  // Bits set in both 32-bit halves, in range for the signal.
  const raw = signal.signed ? -(2 ** (signal.length - 2)) - 0x44332211 : 2 ** (signal.length - 1) + 0x44332211;
  encodeRawSignal(signal, raw, payload);
  const out = new Float64Array(1);
  compileMessageDecoder(message, [signal.name], out, [0])(payload);
  const { service } = socketcanService([message], dir, 'wide');
  const data = Buffer.from(payload);
  service.onMessage({ id: message.id, ext: message.extended, rtr: false, data });
  const offset = signal.byteOrder === 'intel' ? signal.startBit : 8 * (signal.startBit >> 3) + 7 - (signal.startBit & 7);
  return {
    message: found === undefined ? 'constructed, the chosen vehicles have none' : `from ${found.message.name}`,
    signal,
    payload,
    expected: raw * signal.factor + signal.offset,
    ours: out[0] as number,
    theirs: service.messages[socketcanKey(message.id, message.extended)]?.signals[signal.name]?.value,
    native: canSignals.decodeSignal(data, offset, signal.length, signal.byteOrder === 'intel', signal.signed),
  };
}

// ---------------------------------------------------------------------------- main

const mfps = (rate: number): string => `${(rate / 1e6).toFixed(2)} M frames/s`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

export function run(): Promise<BenchEntry[]> {
  return Promise.resolve(measureDecode());
}

function measureDecode(): BenchEntry[] {
  const root = packageRoot();
  if (!canForceGc) progress('warning: run with node --expose-gc for forced collections before heap measurements');

  progress('loading DBCs');
  const demoPath = join(root, 'vehicles/demo/demo.dbc');
  const realPath = join(root, '../shared/dbc/opendbc', REAL_DBC);
  const messages = [
    ...busMessages('demo', loadDbcFile(demoPath).messages),
    ...busMessages(REAL_DBC.replace(/\.dbc$/, ''), loadDbcFile(realPath).messages),
  ];
  const allSignals = messages.flatMap((m) => m.message.signals);

  progress(`generating ${int(FRAME_COUNT)} frames (seed 0x${SEED.toString(16)})`);
  const mix = generateFrameMix(messages, FRAME_COUNT, SEED);
  let signalsInMix = 0;
  for (let i = 0; i < mix.count; i++) signalsInMix += (mix.messages[mix.messageIndex[i] as number] as BusMessage).message.signals.length;
  const frames: ScFrame[] = mix.payloads.map((p, i) => ({
    id: mix.ids[i] as number,
    ext: mix.extended[i] === 1,
    rtr: false,
    data: Buffer.from(p.buffer, p.byteOffset, p.length),
  }));

  progress('compiling our decoders');
  const ours = compileAll(messages);

  progress('writing the KCD and loading it with socketcan');
  const dir = mkdtempSync(join(tmpdir(), 'persona-bench-'));
  try {
    const { service, notes } = socketcanService(messages.map((m) => m.message), dir, 'bus');

    progress('cross-checking every frame: ours vs socketcan');
    const check = crossCheck(mix, ours, service, frames);
    const wide = wideExample(messages, dir);

    progress(`ours: warm-up ${int(OURS_WARMUP_FRAMES)} frames, then ${OURS_ROUNDS} rounds of ${int(OURS_FRAMES_PER_ROUND)}`);
    let decoded = 0;
    const runOurs = (n: number): void => {
      decoded += decodeOurs(ours, mix, n);
    };
    runOurs(OURS_WARMUP_FRAMES);
    const ourRates = timeRounds(OURS_ROUNDS, OURS_FRAMES_PER_ROUND, runOurs);

    progress(`ours: heap around ${int(HEAP_FRAMES)} frames`);
    const ourHeap = measureAllocation(runOurs, HEAP_FRAMES);
    progress(`ours: counting collections over ${int(NO_GC_FRAMES)} frames`);
    const ourNoGc = measureAllocation(runOurs, NO_GC_FRAMES);

    progress(`socketcan: warm-up ${int(THEIRS_WARMUP_FRAMES)} frames, then ${THEIRS_ROUNDS} rounds of ${int(THEIRS_FRAMES_PER_ROUND)}`);
    const runTheirs = (n: number): void => decodeSocketcan(service, frames, n);
    runTheirs(THEIRS_WARMUP_FRAMES);
    const theirRates = timeRounds(THEIRS_ROUNDS, THEIRS_FRAMES_PER_ROUND, runTheirs);
    progress(`socketcan: allocation over ${int(THEIRS_ALLOC_FRAMES)} frames`);
    const theirAlloc = measureAllocation(runTheirs, THEIRS_ALLOC_FRAMES);
    forceGc();

    return report({ messages, allSignals, mix, signalsInMix, notes, check, wide, ourRates, ourHeap, ourNoGc, theirRates, theirAlloc, decoded, ours });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Results {
  messages: readonly BusMessage[];
  allSignals: readonly DbcSignal[];
  mix: FrameMix;
  signalsInMix: number;
  notes: string[];
  check: CrossCheck;
  wide: WideExample;
  ourRates: number[];
  ourHeap: AllocationReport;
  ourNoGc: AllocationReport;
  theirRates: number[];
  theirAlloc: AllocationReport;
  decoded: number;
  ours: OurDecoders;
}

function report(r: Results): BenchEntry[] {
  const cpu = cpus();
  const ourRate = median(r.ourRates);
  const theirRate = median(r.theirRates);
  const ratio = ourRate / theirRate;
  const ourBytesPerFrame = r.ourHeap.bytes / HEAP_FRAMES;
  const ourNoGcBytesPerFrame = r.ourNoGc.bytes / NO_GC_FRAMES;
  const theirBytesPerFrame = r.theirAlloc.bytes / THEIRS_ALLOC_FRAMES;
  const zeroAlloc = r.ourNoGc.gcCount === 0 && Math.round(ourBytesPerFrame) === 0 && Math.round(ourNoGcBytesPerFrame) === 0;
  const vehicles = [...new Set(r.messages.map((m) => m.vehicle))];
  const motorola = r.allSignals.filter((s) => s.byteOrder === 'motorola').length;
  const muxed = r.messages.filter((m) => m.message.signals.some((s) => s.multiplexer === 'switch')).length;
  const fallbackCycles = r.messages.filter((m) => !m.cycleFromDbc).length;
  const c = r.check;
  const lines = [
    '',
    '=== CAN decode benchmark: persona (generated per-message decoders) vs socketcan 4.0.7 (DatabaseService + native decodeSignal) ===',
    `machine     node ${process.version} (V8 ${process.versions.v8}), ${platform()}/${arch()}, ${cpu[0]?.model.trim() ?? 'unknown CPU'} (${cpu.length} logical CPUs; one used)`,
    `vehicles    ${vehicles.join(' + ')}: ${r.messages.length} messages, ${r.allSignals.length} signals (${motorola} Motorola, ${muxed} multiplexed message${muxed === 1 ? '' : 's'})`,
    `frame mix   ${int(r.mix.count)} frames in memory, bus order by cycle time (${r.messages.length - fallbackCycles} messages with GenMsgCycleTime, ${fallbackCycles} without: ${FALLBACK_CYCLE_MS} ms assumed), ${(r.signalsInMix / r.mix.count).toFixed(2)} signals/frame, random in-range values, seed 0x${SEED.toString(16)}`,
    '',
    'correctness (every frame of the mix decoded by both, before timing)',
    `  signals ≤ 32 bits compared: ${int(c.compared)}; identical ${int(c.exact)}, within rounding ${int(c.withinRounding)}, mismatches ${c.mismatches.length === 0 ? 0 : `≥ ${c.mismatches.length}`}`,
    `  multiplexed out in the frame (both skip): ${int(c.notSelected)}; skipped: ${int(c.skippedWide)} wider than 32 bits, ${int(c.skippedOther)} float or beyond byte 8`,
    ...c.mismatches.map((m) => `  MISMATCH ${m}`),
    ...r.notes.map((n) => `  KCD note: ${n}`),
    `  socketcan decodes signals wider than 32 bits wrongly: it combines the native halves as ret[0] + (ret[1] << 32), and a JS shift counts mod 32, so the high half is added, not shifted.`,
    `    example (${r.wide.message}): ${r.wide.signal.name}, ${r.wide.signal.length} bits ${r.wide.signal.byteOrder}, payload ${hex(r.wide.payload)}`,
    `    expected ${r.wide.expected}, ours ${r.wide.ours}, socketcan ${String(r.wide.theirs)} (native halves [${r.wide.native.join(', ')}] → ${r.wide.native[0]} + ${r.wide.native[1]})`,
    '',
    'throughput (median of timed rounds, one core)',
    `  ours        ${mfps(ourRate).padStart(22)}   rounds: ${r.ourRates.map((x) => (x / 1e6).toFixed(1)).join(' ')} M/s (${OURS_ROUNDS} × ${int(OURS_FRAMES_PER_ROUND)} frames after ${int(OURS_WARMUP_FRAMES)} warm-up)`,
    `  socketcan   ${mfps(theirRate).padStart(22)}   rounds: ${r.theirRates.map((x) => (x / 1e6).toFixed(3)).join(' ')} M/s (${THEIRS_ROUNDS} × ${int(THEIRS_FRAMES_PER_ROUND)} frames after ${int(THEIRS_WARMUP_FRAMES)} warm-up)`,
    `  ratio       ${ratio.toFixed(1)}× (ours / socketcan); ${(1e9 / ourRate).toFixed(1)} ns vs ${(1e9 / theirRate).toFixed(0)} ns per frame`,
    '',
    'allocation (V8 heap; bytes = growth + what collections freed, via v8.GCProfiler)',
    `  ours        ${ourBytesPerFrame.toFixed(4)} B/frame over ${int(HEAP_FRAMES)} frames: heapUsed ${int(r.ourHeap.heapBefore)} B before, ${int(r.ourHeap.heapAfter)} B after (${r.ourHeap.heapAfter - r.ourHeap.heapBefore >= 0 ? '+' : ''}${int(r.ourHeap.heapAfter - r.ourHeap.heapBefore)} B), ${r.ourHeap.gcCount} GCs`,
    `              ${ourNoGcBytesPerFrame.toFixed(5)} B/frame over ${int(NO_GC_FRAMES)} frames: ${r.ourNoGc.gcCount} GCs, heapUsed ${int(r.ourNoGc.heapBefore)} → ${int(r.ourNoGc.heapAfter)} B`,
    `              (the measurement's own overhead: ${int(r.ourHeap.bytes)} B at 10^6 frames, ${int(r.ourNoGc.bytes)} B at 10^7; it does not grow with the frame count)`,
    `  socketcan   ${theirBytesPerFrame.toFixed(0)} B/frame over ${int(THEIRS_ALLOC_FRAMES)} frames: ${r.theirAlloc.gcCount} GCs (${r.theirAlloc.gcTypes.join(', ')})`,
    '',
    'targets',
    `  ${verdict(ourRate >= TARGET_RATE)}  ≥ ${int(TARGET_RATE)} frames/s          (${int(ourRate)})`,
    `  ${verdict(ratio >= TARGET_RATIO)}  ≥ ${TARGET_RATIO}× socketcan                 (${ratio.toFixed(1)}×)`,
    `  ${verdict(zeroAlloc)}  0 bytes/frame                  (${ourBytesPerFrame.toFixed(4)} B/frame, ${r.ourNoGc.gcCount} GCs in ${int(NO_GC_FRAMES)} frames)`,
    `  reference on this machine (real Toyota log): socketcan ≈ 0.39 M frames/s and ≈ 800 B/frame; a generated per-message decoder ≈ 44 M frames/s, nothing allocated`,
    `  (checksum: ${int(r.decoded)} frames decoded, out[0] = ${String(r.ours.out[0])})`,
    '',
  ];
  console.log(lines.join('\n'));
  const reference = 'socketcan 4.0.7 DatabaseService (same frames)';
  return [
    { name: 'CAN decode throughput, one core', value: ourRate, unit: 'frames/s', reference, referenceValue: theirRate, target: `≥ ${TARGET_RATE / 1e6} M frames/s`, met: ourRate >= TARGET_RATE },
    { name: 'CAN decode speed-up over socketcan', value: ratio, unit: '×', reference, referenceValue: 1, target: `≥ ${TARGET_RATIO}×`, met: ratio >= TARGET_RATIO },
    { name: 'CAN decode heap allocation', value: ourBytesPerFrame, unit: 'B/frame', reference, referenceValue: theirBytesPerFrame, target: '0 B/frame', met: zeroAlloc },
  ];
}

await runWhenMain(import.meta.url, run);
