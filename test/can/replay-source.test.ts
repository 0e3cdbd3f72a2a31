import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock } from '../../src/common/clock.js';
import type { CanFrame, FrameBatch, FrameSink } from '../../src/can/can-frame.js';
import { formatCandumpLine } from '../../src/can/candump-line.js';
import { ReplaySource } from '../../src/can/replay-source.js';

const LOG = ['(100.000000) vcan0 123#01', '(100.500000) vcan0 123#02', 'not a frame', '', '(101.000000) vcan0 456#03', '(102.000000) vcan0 123#04'].join('\n') + '\n';

function logFile(t: Test, text = LOG): string {
  const dir = t.testdir();
  writeFileSync(join(dir, 'drive.log'), text);
  return join(dir, 'drive.log');
}

void t.test('as fast as possible: all valid frames in order, malformed lines counted', async (t) => {
  const source = new ReplaySource(logFile(t), { speed: 0 });
  const frames: CanFrame[] = [];
  await source.start((f) => frames.push(f));
  t.same(frames.map((f) => f.data[0]), [1, 2, 3, 4]);
  t.same(source.stats, { frames: 4, passes: 1 });
  t.equal(source.malformed.count, 1);
});

void t.test('real-time pacing × speed on a simulated clock', async (t) => {
  const clock = new SimulatedClock(1000);
  const source = new ReplaySource(logFile(t), { speed: 2, clock });
  const at: number[] = [];
  await source.start(() => at.push(clock.now()));
  // Log offsets 0, 0.5, 1, 2 s at twice real time.
  t.same(at, [1000, 1250, 1500, 2000]);
});

void t.test('loop keeps timestamps increasing across passes', async (t) => {
  const source = new ReplaySource(logFile(t), { speed: 0, loop: true });
  const times: number[] = [];
  await source.start((f) => {
    times.push(f.timeUs);
    if (times.length === 10) void source.stop();
  });
  t.equal(times.length, 10);
  t.ok(times.every((v, i) => i === 0 || v > times[i - 1]!), 'strictly increasing');
  t.equal(times[4]! - times[3]!, 10_000, 'a 10 ms gap between passes');
  t.equal(source.stats.passes, 2);
});

void t.test('stop ends a paced replay without delivering more frames', async (t) => {
  const clock = new SimulatedClock();
  const source = new ReplaySource(logFile(t), { speed: 1, clock });
  const frames: CanFrame[] = [];
  await source.start((f) => {
    frames.push(f);
    void source.stop();
  });
  t.equal(frames.length, 1);
});

void t.test('a bad speed or batch window is refused', async (t) => {
  t.throws(() => new ReplaySource('x', { speed: -1 }), { name: 'RangeError' });
  t.throws(() => new ReplaySource('x', { speed: Number.NaN }), { name: 'RangeError' });
  t.throws(() => new ReplaySource('x', { batchWindowMs: 0 }), { name: 'RangeError', message: /batch window/ });
});

/** A second of a busy bus: a frame every 500 µs with a jitter of up to 100 µs, payload = index. */
const BUSY_START_US = 1_700_000_000_000_000;
const BUSY = Array.from({ length: 2000 }, (_, i) => BUSY_START_US + i * 500 + ((i * 37) % 100));
const busyLog = (): string => BUSY.map((timeUs, i) => formatCandumpLine({ timeUs, iface: 'vcan0', id: 0x123, extended: false, fd: false, remote: false, error: false, data: new Uint8Array([i & 0xff, i >> 8]) })).join('\n') + '\n';

/** A sink that takes batches, noting each with the clock's time when it came. */
function batchSink(clock: SimulatedClock, onBatch?: (frames: FrameBatch) => void): { sink: FrameSink; batches: Array<{ atMs: number; frames: FrameBatch }> } {
  const batches: Array<{ atMs: number; frames: FrameBatch }> = [];
  const sink: FrameSink = Object.assign(() => t.fail('a batching sink is handed batches'), {
    batch: (frames: FrameBatch) => {
      batches.push({ atMs: clock.now(), frames });
      onBatch?.(frames);
    },
  });
  return { sink, batches };
}

const spanUs = (frames: FrameBatch): number => frames.at(-1)!.timeUs - frames[0]!.timeUs;

void t.test('paced, frames come in batches: each frame once, in order, with its own timestamp, at most one window late', async (t) => {
  const clock = new SimulatedClock(1000);
  const source = new ReplaySource(logFile(t, busyLog()), { speed: 1, batchWindowMs: 5, clock });
  const { sink, batches } = batchSink(clock);
  await source.start(sink);
  const frames = batches.flatMap((b) => b.frames);
  t.same(frames.map((f) => f.timeUs), BUSY, 'every frame in order, timestamps as logged');
  t.same(frames.map((f) => f.data[0]! | (f.data[1]! << 8)), BUSY.map((_, i) => i), 'each with its own payload');
  t.equal(source.stats.frames, BUSY.length);
  t.ok(batches.every((b) => spanUs(b.frames) <= 5000), `no batch spans more than 5 ms (longest ${Math.max(...batches.map((b) => spanUs(b.frames)))} µs)`);
  const dueMs = (timeUs: number): number => 1000 + (timeUs - BUSY_START_US) / 1000;
  t.ok(batches.every((b) => b.atMs >= dueMs(b.frames.at(-1)!.timeUs)), 'no frame before its time');
  t.ok(batches.every((b) => b.atMs - dueMs(b.frames[0]!.timeUs) <= 5), 'no frame more than a window after its time');
  // The file is read in chunks, and a chunk's end ends a batch: the wake-ups are what counts.
  const wakeUps = new Set(batches.map((b) => b.atMs)).size;
  t.ok(wakeUps <= 1000 / 5 + 1, `one wake-up per window, not per frame: ${wakeUps} for ${BUSY.length} frames`);
});

void t.test('the window is CAN time: at twice real time, batches span it in half the wall time', async (t) => {
  const clock = new SimulatedClock();
  const source = new ReplaySource(logFile(t, busyLog()), { speed: 2, batchWindowMs: 4, clock });
  const { sink, batches } = batchSink(clock);
  await source.start(sink);
  t.equal(batches.flatMap((b) => b.frames).length, BUSY.length);
  t.ok(batches.every((b) => spanUs(b.frames) <= 4000), 'no batch spans more than 4 ms of CAN time');
  const gaps = batches.slice(1).map((b, i) => b.atMs - batches[i]!.atMs);
  t.ok(gaps.every((ms) => ms >= 2), `wake-ups at least 2 ms apart (shortest ${Math.min(...gaps)} ms)`);
  t.ok(new Set(batches.map((b) => b.atMs)).size <= 500 / 2 + 1, 'one wake-up per 2 ms over half a second');
});

void t.test('after a stall, what came due meanwhile follows at once, still in batches of one window', async (t) => {
  const clock = new SimulatedClock();
  let stallEndMs: number | undefined;
  const source = new ReplaySource(logFile(t, busyLog()), { speed: 1, batchWindowMs: 5, clock });
  const { sink, batches } = batchSink(clock, () => {
    // A long apply, a GC pause: the clock runs on while the sink holds the loop.
    if (stallEndMs === undefined && clock.now() >= 100) {
      clock.advance(50);
      stallEndMs = clock.now();
    }
  });
  await source.start(sink);
  t.same(batches.flatMap((b) => b.frames).map((f) => f.timeUs), BUSY, 'nothing lost or reordered');
  t.ok(batches.every((b) => spanUs(b.frames) <= 5000), 'no batch spans more than the window');
  const atOnce = batches.filter((b) => b.atMs === stallEndMs);
  t.ok(atOnce.length >= 10, `the 50 ms that came due during the stall follow at once, in ${atOnce.length} batches`);
});

void t.test('a sink without batches gets the same frames one by one', async (t) => {
  const clock = new SimulatedClock();
  const source = new ReplaySource(logFile(t, busyLog()), { speed: 1, batchWindowMs: 5, clock });
  const at: Array<[number, number]> = [];
  await source.start((f) => at.push([clock.now(), f.timeUs]));
  t.same(at.map(([, timeUs]) => timeUs), BUSY);
  t.ok(new Set(at.map(([ms]) => ms)).size <= 1000 / 5 + 1, 'handed over at as few instants as batches');
});
