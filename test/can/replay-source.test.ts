import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock } from '../../src/common/clock.js';
import type { CanFrame } from '../../src/can/can-frame.js';
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

void t.test('a bad speed is refused', async (t) => {
  t.throws(() => new ReplaySource('x', { speed: -1 }), { name: 'RangeError' });
  t.throws(() => new ReplaySource('x', { speed: Number.NaN }), { name: 'RangeError' });
});
