import t from 'tap';
import type { DrivingFeatures } from '../../src/context/driving-features.js';
import type { DecisionRecord } from '../../src/daemon/decision-record.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { LiveState } from '../../src/dashboard/live-state.js';
import { drivingTransitionWords } from '../../src/dashboard/transition-words.js';
import type { ContextPayload, SwitchPayload } from '../../src/mqtt/contract.js';

const T0 = Date.parse('2026-01-01T09:00:00Z');
/** CAN time, `ms` into the drive. */
const iso = (ms: number): string => new Date(T0 + ms).toISOString();
/** Wall-clock time of a replay at 10×, far from the drive's: what MQTT's `since` and `time` say. */
const WALL0 = Date.parse('2031-06-01T12:00:00Z');
const wall = (ms: number): string => new Date(WALL0 + ms / 10).toISOString();
const context = (canMs: number, fields: Pick<ContextPayload, 'context' | 'instance' | 'role' | 'hostPressure' | 'speedKmh'>): ContextPayload => ({ workload: 'normal', io: 'quiet', ...fields, since: wall(canMs), canTime: iso(canMs) });
const features = (ms: number, speedKmh: number | null): DrivingFeatures => ({ timeMs: T0 + ms, speedKmh, gear: 3, verticalRms: null, wheelSlip: null, steeringActivity: null, standstillMs: 0, stopsPerMinute: 0, missing: [], requiredPresentMs: 60_000, degraded: [] });
const online = { state: 'online', backend: 'simulated' } as const;

void t.test('a stale signal keeps its last value, marked stale, with its growing age', (t) => {
  const state = new LiveState({ online });
  t.same(state.vehicle({ signals: { 'Vehicle.Speed': { value: 50.123, ageMs: 20 }, 'Vehicle.Gear': null }, features: features(1000, 50.04), wallTimeMs: WALL0 + 100 }), {
    time: wall(1000),
    canTime: iso(1000),
    speedKmh: 50,
    signals: [
      { name: 'Vehicle.Speed', value: 50.12, ageMs: 20, stale: false },
      { name: 'Vehicle.Gear', value: null, ageMs: null, stale: true },
    ],
  });
  t.same(state.vehicle({ signals: { 'Vehicle.Speed': null, 'Vehicle.Gear': null }, features: features(1500, null), wallTimeMs: WALL0 + 150 }).signals[0], { name: 'Vehicle.Speed', value: 50.12, ageMs: 520, stale: true }, 'ages in CAN time');
  t.same(state.vehicle({ signals: {}, features: null, wallTimeMs: null }), { time: null, canTime: null, speedKmh: null, signals: [] }, 'no time before the first sample');
  t.end();
});

void t.test('changes are numbered: an update carries only what changed after the last one', (t) => {
  const state = new LiveState({ online });
  state.publishContext(context(0, { context: 'city', instance: 'unknown', role: null, hostPressure: null, speedKmh: 30 }));
  const first = state.version;
  state.publishHolds({ holds: [] });
  state.publishSwitch({ time: wall(5) } as SwitchPayload);
  t.same(Object.keys(state.changesSince(first) ?? {}).sort(), ['holds', 'log']);
  t.equal(state.changesSince(state.version), undefined, 'nothing new, nothing sent');
  state.setDegraded('drift on pvnic');
  t.same(state.changesSince(state.version - 1), { status: { ...online, state: 'degraded', reason: 'drift on pvnic' } });
  t.end();
});

void t.test('the timeline follows every region, the instance too', (t) => {
  const state = new LiveState({ online });
  state.publishContext(context(0, { context: 'highway', instance: 'normal', role: 'cockpit', hostPressure: 20, speedKmh: 110 }));
  state.publishContext(context(5_000, { context: 'highway', instance: 'constrained', role: 'cockpit', hostPressure: 70, speedKmh: 110 }));
  t.same(
    state.snapshot(null).timeline.map(({ time, canTime, driving, instance }) => [time, canTime, driving, instance]),
    [
      [wall(0), iso(0), 'highway', 'normal'],
      [wall(5_000), iso(5_000), 'highway', 'constrained'],
    ],
  );
  t.end();
});

void t.test('the log and the timeline are bounded, the timeline in CAN time', (t) => {
  const state = new LiveState({ online, logCapacity: 3, timelineMs: 60_000 });
  for (let i = 0; i < 10; i++) state.publishSwitch({ time: wall(i) } as SwitchPayload);
  for (let s = 0; s <= 120; s += 30) state.publishContext(context(s * 1000, { context: s % 60 === 0 ? 'city' : 'highway', instance: 'unknown', role: null, hostPressure: null, speedKmh: 50 }));
  const snapshot = state.snapshot(null);
  t.same(snapshot.log.map((e) => e.event.time), [wall(7), wall(8), wall(9)], 'the newest entries');
  // The replay's 12 s of wall time hold the drive's two minutes: the window is the drive's last minute.
  t.same(snapshot.timeline.map((p) => p.canTime), [iso(60_000), iso(90_000), iso(120_000)], 'the last minute, and the point it starts in');
  t.end();
});

void t.test('the decision in words names the winner, what waits and the holds that lost', (t) => {
  const state = new LiveState({ online });
  state.publishContext(context(0, { context: 'highway', instance: 'unknown', role: null, hostPressure: null, speedKmh: 95 }));
  const record: DecisionRecord = {
    seq: 7,
    time: wall(12_000),
    canTime: iso(12_000),
    trigger: 'sample',
    context: { driving: 'highway', workload: 'normal', io: 'quiet', instance: 'unknown' },
    inputs: { signals: {}, freshness: {}, features: features(12_000, 104), workload: null, instance: null },
    drivers: [
      {
        target: 'pvnic',
        resources: ['pvnic0', 'pvnic1'],
        driverId: 'pvnic',
        winner: { source: 'hold', personality: 'offroad', rule: 'h2-ab', owner: 'safety-svc', priority: 90 },
        losers: [
          { source: 'hold', personality: 'city', rule: 'h1-cd', owner: 'infotainment', priority: 50, why: 'outranked by hold h2-ab of safety-svc (priority 90)' },
          { source: 'policy', personality: 'highway', rule: '/etc/persona/policy.json#/drivers/pvnic/rules/3', why: 'outranked by hold h2-ab of safety-svc (priority 90)' },
        ],
        result: 'pending',
        apply: {},
        waiting: { DMA_buffer_size: '256KB' },
      },
    ],
  };
  state.publishDecision(record);
  t.equal(
    state.snapshot(null).decision?.text,
    'highway; now 104.0 km/h, 12 s in highway; decided after sample; pvnic: offroad by hold h2-ab by safety-svc (prio 90), pending; waiting for a standstill: DMA_buffer_size 256KB; hold h1-cd by infotainment (prio 50) outranked by hold h2-ab of safety-svc (priority 90); policy highway outranked by hold h2-ab of safety-svc (priority 90)',
  );
  t.notOk('inputs' in (state.snapshot(null).decision?.record ?? {}), 'the raw inputs stay on MQTT; the page shows signals live');
  t.end();
});

void t.test('a change of driving context is explained by its guard in the statechart, thresholds included', (t) => {
  const because = drivingTransitionWords(JSON.parse(readFileSync(join(packageRoot(), 'statecharts/driving-context.json'), 'utf8')));
  t.equal(because('city', 'highway'), 'speed > 90 km/h (after 5 s in city)');
  t.equal(because('parked', 'city'), 'speed ≥ 3 km/h out of park (after 2 s in parked)');
  t.equal(because('city', 'parked'), 'in park, or stopped (≤ 1 km/h) for 120 s');
  t.equal(because('unknown', 'city'), 'the required signals are present, and the optional ones or 3 s have passed');
  t.equal(because('highway', 'unknown'), 'a required signal is stale or missing');
  t.equal(because('highway', 'parked'), undefined, 'no such transition');

  const state = new LiveState({ online, explainTransition: because });
  state.publishContext(context(0, { context: 'city', instance: 'unknown', role: null, hostPressure: null, speedKmh: 80 }));
  state.publishContext(context(10_000, { context: 'highway', instance: 'unknown', role: null, hostPressure: null, speedKmh: 91 }));
  state.publishDecision({ seq: 1, time: wall(22_000), canTime: iso(22_000), trigger: 'driving city → highway', context: { driving: 'highway', workload: 'normal', io: 'quiet', instance: 'unknown' }, inputs: { signals: {}, freshness: {}, features: features(22_000, 104), workload: null, instance: null }, drivers: [] });
  t.equal(state.snapshot(null).decision?.text, 'highway because speed > 90 km/h (after 5 s in city); now 104.0 km/h, 12 s in highway; decided after driving city → highway');
  t.end();
});
