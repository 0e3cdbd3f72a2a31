import t from 'tap';
import { FeatureExtractor, GEAR, REQUIRED_SIGNALS, SPEED, STEERING_ANGLE, VERTICAL_ACCELERATION, WHEEL_SPEEDS } from '../../src/context/driving-features.js';
import type { SignalSnapshot } from '../../src/signals/signal-decoder.js';

const snap = (speed: number | null, gear: number | null, vertical: number | null): SignalSnapshot => ({
  [SPEED]: speed === null ? null : { value: speed, ageMs: 0 },
  [GEAR]: gear === null ? null : { value: gear, ageMs: 0 },
  [VERTICAL_ACCELERATION]: vertical === null ? null : { value: vertical, ageMs: 0 },
});

void t.test('first sample is taken as it is; optional signals absent give null features', async (t) => {
  const f = new FeatureExtractor().update(snap(50, 3, 2), 1000);
  t.same(f, { timeMs: 1000, speedKmh: 50, gear: 3, verticalRms: 2, wheelSlip: null, steeringActivity: null, standstillMs: 0, stopsPerMinute: 0, missing: [] });
});

void t.test('speed smoothing follows the elapsed time, not the sample count', async (t) => {
  const coarse = new FeatureExtractor({ speedTauMs: 500 });
  const fine = new FeatureExtractor({ speedTauMs: 500 });
  coarse.update(snap(0, 3, 0), 0);
  fine.update(snap(0, 3, 0), 0);
  const a = coarse.update(snap(100, 3, 0), 500).speedKmh!;
  let b = 0;
  for (let ms = 50; ms <= 500; ms += 50) b = fine.update(snap(100, 3, 0), ms).speedKmh!;
  t.equal(a.toFixed(6), (100 * (1 - Math.exp(-1))).toFixed(6), 'one time constant reaches 63.2 %');
  t.equal(b.toFixed(6), a.toFixed(6));
});

void t.test('vertical RMS of a ±3 m/s² square wave is 3', async (t) => {
  const fx = new FeatureExtractor({ roadTauMs: 200 });
  let rms = 0;
  for (let ms = 0; ms < 5000; ms += 10) rms = fx.update(snap(20, 2, ms % 20 === 0 ? 3 : -3), ms).verticalRms!;
  t.equal(rms.toFixed(6), '3.000000');
});

void t.test('standstill time counts from the first sample at or below 1 km/h', async (t) => {
  const fx = new FeatureExtractor({ speedTauMs: 1 });
  fx.update(snap(30, 1, 0), 0);
  t.equal(fx.update(snap(0, 1, 0), 1000).standstillMs, 0);
  t.equal(fx.update(snap(0, 1, 0), 4000).standstillMs, 3000);
  t.equal(fx.update(snap(20, 1, 0), 5000).standstillMs, 0, 'reset when moving');
});

void t.test('missing signals are listed and their features are null', async (t) => {
  const f = new FeatureExtractor().update(snap(null, null, null), 0);
  t.same(f.missing, [...REQUIRED_SIGNALS]);
  t.equal(f.speedKmh, null);
  t.equal(f.verticalRms, null);
  t.equal(f.gear, null);
});

const withWheels = (speed: number, wheels: [number, number, number, number], steering?: number): SignalSnapshot => ({
  ...snap(speed, 3, 0),
  ...Object.fromEntries(WHEEL_SPEEDS.map((name, i) => [name, { value: wheels[i]!, ageMs: 0 }])),
  ...(steering === undefined ? {} : { [STEERING_ANGLE]: { value: steering, ageMs: 0 } }),
});

void t.test('wheel slip: spread of the four wheels over vehicle speed, with a floor at low speed', async (t) => {
  t.equal(new FeatureExtractor().update(withWheels(50, [50, 51, 49, 55]), 0).wheelSlip, 6 / 50);
  t.equal(new FeatureExtractor().update(withWheels(1, [1, 1.5, 1, 1]), 0).wheelSlip, 0.5 / 5, 'measured against 5 km/h when creeping');
});

void t.test('steering activity: smoothed steering-wheel rate in degrees per second', async (t) => {
  const fx = new FeatureExtractor({ roadTauMs: 1 });
  fx.update(withWheels(30, [30, 30, 30, 30], 0), 0);
  t.equal(fx.update(withWheels(30, [30, 30, 30, 30], 0), 100).steeringActivity, 0);
  t.equal(Math.round(fx.update(withWheels(30, [30, 30, 30, 30], 10), 200).steeringActivity!), 100, '10° in 100 ms');
});

void t.test('stops per minute count each arrival at a standstill within the last minute', async (t) => {
  const fx = new FeatureExtractor({ speedTauMs: 1 });
  let ms = 0;
  for (let stop = 0; stop < 4; stop++) {
    fx.update(snap(20, 1, 0), (ms += 5000));
    fx.update(snap(0, 1, 0), (ms += 5000));
  }
  t.equal(fx.update(snap(0, 1, 0), (ms += 1000)).stopsPerMinute, 4);
  t.equal(fx.update(snap(0, 1, 0), (ms += 60_000)).stopsPerMinute, 0, 'a minute later all have aged out');
});
