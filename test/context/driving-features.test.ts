import t from 'tap';
import { DEFAULT_REQUIRED_GRACE_MS, FeatureExtractor, GEAR, REQUIRED_SIGNALS, SPEED, STEERING_ANGLE, VERTICAL_ACCELERATION, WHEEL_SPEEDS } from '../../src/context/driving-features.js';
import { DEFAULT_GEOMETRY } from '../../src/signals/signal-map.js';
import type { SignalSnapshot } from '../../src/signals/signal-decoder.js';

const snap = (speed: number | null, gear: number | null, vertical: number | null): SignalSnapshot => ({
  [SPEED]: speed === null ? null : { value: speed, ageMs: 0 },
  [GEAR]: gear === null ? null : { value: gear, ageMs: 0 },
  [VERTICAL_ACCELERATION]: vertical === null ? null : { value: vertical, ageMs: 0 },
});

void t.test('first sample is taken as it is; optional signals absent give null features', async (t) => {
  const f = new FeatureExtractor().update(snap(50, 3, 2), 1000);
  t.same(f, { timeMs: 1000, speedKmh: 50, gear: 3, verticalRms: 2, wheelSlip: null, steeringActivity: null, standstillMs: 0, stopsPerMinute: 0, missing: [], requiredPresentMs: 0, degraded: [] }, 'signals the vehicle does not map are not degraded');
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

void t.test('only the speed is required: a stale gear or road signal degrades, and the context keeps its inputs', async (t) => {
  const f = new FeatureExtractor().update(snap(null, null, null), 0);
  t.same(REQUIRED_SIGNALS, [SPEED]);
  t.same(f.missing, [SPEED], 'never received: missing at once, no grace before the first value');
  t.same(f.degraded, [GEAR, VERTICAL_ACCELERATION]);
  t.equal(f.speedKmh, null);
  t.equal(f.verticalRms, null);
  t.equal(f.gear, null);
  const g = new FeatureExtractor().update(snap(40, null, null), 0);
  t.same(g.missing, [], 'speed alone is enough');
  t.same(g.degraded, [GEAR, VERTICAL_ACCELERATION]);
});

void t.test('a gap in the speed shorter than the grace is not a loss: the last speed stands', async (t) => {
  t.equal(DEFAULT_REQUIRED_GRACE_MS, 1000);
  const fx = new FeatureExtractor({ speedTauMs: 1 });
  fx.update(snap(50, 127, 0), 0);
  const gap = fx.update(snap(null, 127, 0), 900);
  t.same(gap.missing, [], '900 ms without a fresh speed');
  t.equal(gap.speedKmh, 50);
  t.same(fx.update(snap(null, 127, 0), 1000).missing, [], 'exactly at the grace');
  const lost = fx.update(snap(null, 127, 0), 1001);
  t.same(lost.missing, [SPEED], 'lost one millisecond later');
  t.equal(lost.speedKmh, null);
  const back = fx.update(snap(30, 127, 0), 1100);
  t.same(back.missing, []);
  t.equal(Math.round(back.speedKmh!), 30, 'back: smoothing starts over from the new value');
  const strict = new FeatureExtractor({ requiredGraceMs: 0 });
  strict.update(snap(50, 127, 0), 0);
  t.same(strict.update(snap(null, 127, 0), 100).missing, [SPEED], 'a grace of 0 loses the speed with its first stale sample');
});

const withWheels = (speed: number, wheels: [number, number, number, number], steering?: number): SignalSnapshot => ({
  ...snap(speed, 3, 0),
  ...Object.fromEntries(WHEEL_SPEEDS.map((name, i) => [name, { value: wheels[i]!, ageMs: 0 }])),
  ...(steering === undefined ? {} : { [STEERING_ANGLE]: { value: steering, ageMs: 0 } }),
});

/** Wheel speeds of a rigid car turning at `radiusM` (rear-axle centre, positive to the left) at `speedKmh` there. */
function turning(speedKmh: number, radiusM: number, { wheelbaseM, trackM } = DEFAULT_GEOMETRY): [number, number, number, number] {
  const at = (x: number, y: number): number => speedKmh * Math.hypot(x / radiusM, 1 - y / radiusM);
  return [at(wheelbaseM, trackM / 2), at(wheelbaseM, -trackM / 2), at(0, trackM / 2), at(0, -trackM / 2)];
}

void t.test('wheel slip: the spread that turning cannot explain, over vehicle speed, with a floor at low speed', async (t) => {
  t.ok(new FeatureExtractor().update(withWheels(50, [50, 50, 50, 50]), 0).wheelSlip! < 1e-4, 'four equal wheels: none');
  const one = new FeatureExtractor().update(withWheels(50, [50, 50, 50, 55]), 0).wheelSlip!;
  t.ok(one > 0.075 && one < 0.11, `one wheel 10 % fast on a straight: mostly slip (${one.toFixed(3)}); a turn at 50 km/h explains at most 0.6 g worth`);
  t.equal(new FeatureExtractor().update(withWheels(-50, [50, 50, 50, 55]), 0).wheelSlip, one, 'a bus that counts reverse as a negative speed: the same slip');
  const creeping = new FeatureExtractor().update(withWheels(1, [1, 1.5, 1, 1]), 0).wheelSlip!;
  t.ok(creeping > 0.05 && creeping <= 0.1, `measured against 5 km/h when creeping (${creeping.toFixed(3)})`);
});

void t.test('a tight turn spreads the wheels by 8–35 % and is not slip; slip in a turn still is', async (t) => {
  for (const [speed, radius, left] of [[15, 6, true], [20, 8, false], [18, 12, true], [20, 20, false], [50, 60, true]] as const) {
    const wheels = turning(speed, left ? radius : -radius);
    const spread = (Math.max(...wheels) - Math.min(...wheels)) / speed;
    const slip = new FeatureExtractor().update(withWheels(speed, wheels), 0).wheelSlip!;
    t.ok(slip < 0.005, `${speed} km/h, ${radius} m to the ${left ? 'left' : 'right'}: the wheels spread ${(spread * 100).toFixed(1)} %, unexplained ${(slip * 100).toFixed(2)} %`);
  }
  const wheels = turning(20, 10);
  wheels[2] *= 1.25;
  const slip = new FeatureExtractor().update(withWheels(20, wheels), 0).wheelSlip!;
  t.ok(slip > 0.15, `the inner rear wheel spinning 25 % in that turn: ${(slip * 100).toFixed(1)} % unexplained`);
  const long = new FeatureExtractor({ geometry: { ...DEFAULT_GEOMETRY, wheelbaseM: 3.5 } });
  t.ok(long.update(withWheels(15, turning(15, 6, { ...DEFAULT_GEOMETRY, wheelbaseM: 3.5 })), 0).wheelSlip! < 0.005, 'a long wheelbase from the vehicle map');
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
