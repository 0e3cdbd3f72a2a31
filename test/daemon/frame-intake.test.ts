import t from 'tap';
import type { CanFrame, FrameBatch } from '../../src/can/can-frame.js';
import { SimulatedClock } from '../../src/common/clock.js';
import { FrameIntake } from '../../src/daemon/frame-intake.js';

const frame = (timeUs: number): CanFrame => ({ timeUs, iface: 'vcan0', id: 0x100, extended: false, fd: false, remote: false, error: false, data: new Uint8Array(8) });

/** An intake over a decoder that notes what it was given, sampling every 100 ms, with a shortest maximum age of `maxAgeMs`. */
function intake(options: { timeScale?: number; maxAgeMs?: number } = {}) {
  const clock = new SimulatedClock(1_000);
  const accepted: number[] = [];
  const samples: number[] = [];
  let quiet = 0;
  const decoder = { accept: (f: CanFrame) => accepted.push(f.timeUs) > 0, shortestMaxAgeMs: () => options.maxAgeMs };
  const it = new FrameIntake(
    { decoder, clock, sampleIntervalMs: 100, source: { timeScale: options.timeScale ?? 1 } },
    {
      sample: (timeUs) => void samples.push(timeUs),
      quiet: () => void quiet++,
    },
  );
  return { it, clock, accepted, samples, quiet: () => quiet };
}

void t.test('frames: every one decoded; a sample at the first frame and at the first one at or past each sample time', async (t) => {
  const { it, accepted, samples } = intake();
  for (const us of [5_000_000, 5_050_000, 5_099_999, 5_100_000, 5_150_000, 5_420_000]) it.sink(frame(us));
  t.same(accepted, [5_000_000, 5_050_000, 5_099_999, 5_100_000, 5_150_000, 5_420_000]);
  t.same(samples, [5_000_000, 5_100_000, 5_420_000], 'a gap of several intervals takes one sample, at the frame that ended it');
  t.equal(it.lastTimeUs, 5_420_000);
  const batch: FrameBatch = [frame(5_450_000), frame(5_500_000), frame(5_520_000)];
  it.sink.batch!(batch);
  t.same(samples.slice(3), [5_500_000], 'a batch through the same path: the frame at the next sample time takes it');
  t.same(accepted.slice(6), [5_450_000, 5_500_000, 5_520_000]);
});

void t.test('idle ticks: CAN time goes on from the last frame at the source\'s pace; no sample before any time is known', async (t) => {
  const { it, clock, samples, quiet } = intake({ timeScale: 2 });
  it.idleTick();
  t.equal(quiet(), 1, 'no frame and no start time: only the quiet step');
  it.sink(frame(5_000_000));
  clock.advance(100);
  it.idleTick();
  t.same(samples, [5_000_000, 5_200_000], 'a tick 100 ms after the last frame at twice real time: 200 ms of CAN time later');
  clock.advance(50);
  it.idleTick();
  t.equal(samples.length, 2, 'within an interval of the last sample: none');
  t.equal(quiet(), 2);
});

void t.test('a tick that comes late found the loop stalled: it takes no sample, the next on time does', async (t) => {
  const { it, clock, samples, quiet } = intake();
  it.anchor(7_000_000);
  t.equal(it.lastTimeUs, 7_000_000, 'a live source\'s start is the time before any frame');
  clock.advance(100);
  it.idleTick();
  t.same(samples, [7_100_000]);
  clock.advance(250);
  it.idleTick();
  t.same(samples, [7_100_000], 'more than twice the tick interval since the last tick: late');
  t.equal(quiet(), 1);
  clock.advance(100);
  it.idleTick();
  t.same(samples, [7_100_000, 7_450_000], 'on time again: CAN time from the start at the clock\'s pace');
});

void t.test('the idle tick interval: the sample interval, or the shortest maximum age of a required signal when shorter', async (t) => {
  t.equal(intake().it.idleTickMs(), 100, 'no maximum age known yet');
  t.equal(intake({ maxAgeMs: 40 }).it.idleTickMs(), 40);
  t.equal(intake({ maxAgeMs: 500 }).it.idleTickMs(), 100);
});
