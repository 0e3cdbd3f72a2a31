import t from 'tap';
import { createActor, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { createContextMachine } from '../../src/context/context-machine.js';
import { REGIONS, type ContextState } from '../../src/context/context-names.js';
import { declaredTransitions, host, HOSTS, load, LOADS, machine, sample, SITUATIONS, statechart, type Host, type Load, type Situation } from './machine-fixtures.js';

type Snapshot = SnapshotFrom<typeof machine>;
const value = (s: Snapshot): ContextState => s.value as unknown as ContextState;

/** Every situation, load and host context, sent well after every region's dwell has elapsed. */
const traversal = {
  events: (s: Snapshot) => {
    const later = Math.max(s.context.drivingSinceMs, s.context.workloadSinceMs, s.context.ioSinceMs, s.context.instanceSinceMs) + 60_000;
    return [...Object.keys(SITUATIONS).map((n) => sample(n as Situation, later)), ...Object.keys(LOADS).map((n) => load(n as Load, later)), ...Object.keys(HOSTS).map((n) => host(n as Host, later))];
  },
  serializeState: (s: Snapshot) => JSON.stringify(s.value),
  serializeEvent: (e: { type: string; features?: unknown; workload?: unknown; instance?: unknown }) =>
    JSON.stringify({ ...e, features: e.features ? { ...e.features, timeMs: 0 } : undefined, workload: e.workload ? { ...e.workload, timeMs: 0 } : undefined, instance: e.instance ? { ...e.instance, timeMs: 0 } : undefined }),
};

void t.test('every state of every region is reachable', async (t) => {
  const paths = getShortestPaths(machine, traversal);
  for (const [region, names] of Object.entries(REGIONS)) {
    const reached = new Set(paths.map((p) => value(p.state)[region as keyof ContextState]));
    t.same([...reached].sort(), [...names].sort(), region);
  }
});

void t.test('the graph walks exactly the transitions of the statechart file', async (t) => {
  type Vertex = { state: Snapshot; transitions: Record<string, { state: Snapshot }> };
  const walked = new Set<string>();
  for (const entry of Object.values(getAdjacencyMap(machine, traversal)) as Vertex[]) {
    for (const next of Object.values(entry.transitions)) {
      for (const region of Object.keys(REGIONS) as Array<keyof ContextState>) {
        const [from, to] = [value(entry.state)[region], value(next.state)[region]];
        if (from !== to) walked.add(`${region}: ${from} → ${to}`);
      }
    }
  }
  t.same([...walked].sort(), declaredTransitions());
});

void t.test('each shortest path, replayed on a live actor', async (t) => {
  for (const path of getShortestPaths(machine, traversal)) {
    const actor = createActor(machine).start();
    for (const step of path.steps) actor.send(step.event);
    t.same(actor.getSnapshot().value, path.state.value, JSON.stringify(path.state.value));
    actor.stop();
  }
});

function drive(...steps: Array<[Situation, number]>) {
  const actor = createActor(machine).start();
  for (const [situation, at] of steps) actor.send(sample(situation, at));
  return actor;
}
const driving = (actor: ReturnType<typeof drive>) => value(actor.getSnapshot()).driving;

void t.test('minimum dwell: city → highway only after 5 s in city', async (t) => {
  const actor = drive(['cityDriving', 0]);
  t.equal(driving(actor), 'city');
  actor.send(sample('highwayCruise', 4_999));
  t.equal(driving(actor), 'city', 'too early');
  actor.send(sample('highwayCruise', 5_000));
  t.equal(driving(actor), 'highway');
});

void t.test('hysteresis: between 60 and 90 km/h the current context stays', async (t) => {
  t.equal(driving(drive(['cityDriving', 0], ['ruralRoad', 60_000])), 'city', 'not above the 90 km/h entry threshold');
  t.equal(driving(drive(['highwayCruise', 0], ['ruralRoad', 60_000])), 'highway', 'not at or below the 60 km/h exit threshold');
});

void t.test('off-road from vertical RMS or from wheel slip; back to city when both are low', async (t) => {
  t.equal(driving(drive(['cityDriving', 0], ['roughTrack', 3_000])), 'offroad');
  const slip = drive(['cityDriving', 0], ['slipperyTrack', 3_000]);
  t.equal(driving(slip), 'offroad');
  slip.send(sample('cityDriving', 7_999));
  t.equal(driving(slip), 'offroad', 'minimum dwell of 5 s');
  slip.send(sample('cityDriving', 8_000));
  t.equal(driving(slip), 'city');
});

void t.test('a stop at a light stays city; a two-minute standstill parks', async (t) => {
  const actor = drive(['cityDriving', 0], ['waitingAtLight', 10_000]);
  t.equal(driving(actor), 'city');
  actor.send(sample('longStandstill', 200_000));
  t.equal(driving(actor), 'parked');
});

void t.test('missing signals leave any driving context at once', async (t) => {
  for (const situation of ['cityDriving', 'highwayCruise', 'roughTrack', 'parkedInP'] as const) t.equal(driving(drive([situation, 0], ['signalsMissing', 1])), 'unknown', situation);
});

void t.test('workload: pressured after 5 s above 25 %, back to normal after 10 s below 10 %', async (t) => {
  const actor = createActor(machine).start();
  const workload = () => value(actor.getSnapshot()).workload;
  actor.send(load('stalled', 4_999));
  t.equal(workload(), 'normal', 'dwell in normal not yet over');
  actor.send(load('stalled', 5_000));
  t.equal(workload(), 'pressured');
  actor.send(load('busy', 14_999));
  t.equal(workload(), 'pressured', '12 % is inside the hysteresis band');
  actor.send(load('calm', 15_000));
  t.equal(workload(), 'normal');
  actor.send(load('bulkTransfer', 20_000));
  t.equal(value(actor.getSnapshot()).io, 'bulk');
  t.equal(value(actor.getSnapshot()).driving, 'unknown', 'workload samples never move the driving region');
});

void t.test('instance: unknown until a fresh host context, constrained by the host\'s rating or its pressure', async (t) => {
  const actor = createActor(machine).start();
  const instance = () => value(actor.getSnapshot()).instance;
  t.equal(instance(), 'unknown', 'no host context yet');
  actor.send(host('absent', 1_000));
  t.equal(instance(), 'unknown', 'none delivered: stale');
  actor.send(host('roomy', 2_000));
  t.equal(instance(), 'normal');
  actor.send(host('hot', 6_999));
  t.equal(instance(), 'normal', '75 % is above 60 %, but the dwell of 5 s in normal is not over');
  actor.send(host('hot', 7_000));
  t.equal(instance(), 'constrained');
  actor.send(host('easing', 12_000));
  t.equal(instance(), 'constrained', '50 % is inside the hysteresis band');
  actor.send(host('roomy', 16_999));
  t.equal(instance(), 'constrained', 'below 40 %, but the dwell of 10 s in constrained is not over');
  actor.send(host('roomy', 17_000));
  t.equal(instance(), 'normal');
  actor.send(host('rationed', 30_000));
  t.equal(instance(), 'constrained', 'the host rates its resources constrained, whatever its pressure');
  actor.send(host('silent', 60_000));
  t.equal(instance(), 'normal', 'a host that no longer says constrained nor names a pressure lets it go');
  t.same(value(actor.getSnapshot()), { driving: 'unknown', workload: 'normal', io: 'quiet', instance: 'normal' }, 'host contexts never move the other regions');
});

void t.test('instance: a stale host context moves any instance state to unknown at once, and it is left only by a fresh one', async (t) => {
  for (const before of ['roomy', 'hot', 'rationed'] as const) {
    const actor = createActor(machine).start();
    actor.send(host(before, 0));
    actor.send(host('outdated', 1));
    t.equal(value(actor.getSnapshot()).instance, 'unknown', `${before}, then stale`);
    actor.send(host('outdated', 60_000));
    t.equal(value(actor.getSnapshot()).instance, 'unknown', 'what a stale context says is ignored');
    actor.send(host('easing', 60_001));
    t.equal(value(actor.getSnapshot()).instance, 'normal', 'fresh again: normal unless it says constrained');
  }
  const actor = createActor(machine).start();
  actor.send(host('rationed', 0));
  t.equal(value(actor.getSnapshot()).instance, 'constrained', 'from unknown, constrained at once');
  actor.send(sample('cityDriving', 1));
  actor.send(load('stalled', 60_000));
  t.equal(value(actor.getSnapshot()).instance, 'constrained', 'driving and workload samples never move the instance region');
});

void t.test('a statechart naming unknown guards, actions, states or regions is refused with paths', async (t) => {
  const bad = structuredClone(statechart) as unknown as { type?: string; states: Record<string, { states: Record<string, unknown> }> };
  const city = bad.states.driving!.states.city as { on: { SAMPLE: Array<{ guard: unknown }> } };
  city.on.SAMPLE[1]!.guard = { type: 'isFlying' };
  (bad.states.driving!.states.parked as { entry: unknown }).entry = 'launch';
  bad.states.driving!.states.space = {};
  delete bad.states.driving!.states.offroad;
  bad.states.weather = { states: {} };
  delete bad.type;
  t.throws(() => createContextMachine(bad, 'chart.json'), {
    code: 'E_DOCUMENT',
    problems: [
      { file: 'chart.json', path: '/type', message: 'must be "parallel" (regions driving, workload, io, instance)' },
      { file: 'chart.json', path: '/states/driving/states/offroad', message: 'is required' },
      { file: 'chart.json', path: '/states/driving/states/space', message: 'is not a state of driving (parked, city, highway, offroad, unknown)' },
      { file: 'chart.json', path: '/states/weather', message: 'is not a region (driving, workload, io, instance)' },
      { file: 'chart.json', path: '/states/driving/states/parked/entry', message: 'unknown action "launch"' },
      { file: 'chart.json', path: '/states/driving/states/city/on/SAMPLE/1/guard', message: 'unknown guard "isFlying"' },
    ],
  });
});

/** A driving sample: the situation's features with some fields replaced. */
const drivingSample = (situation: Situation, timeMs: number, over: Partial<(typeof SITUATIONS)[Situation]>) => ({ type: 'SAMPLE' as const, features: { ...SITUATIONS[situation], ...over, timeMs } });
const drivingAfter = (events: ReadonlyArray<ReturnType<typeof drivingSample>>): string => {
  const actor = createActor(machine).start();
  for (const e of events) actor.send(e);
  return value(actor.getSnapshot()).driving;
};

void t.test('out of unknown, city waits for the optional signals or 3 s of speed, so P at start-up is parked', async (t) => {
  const gearLate = { gear: null, degraded: ['Vehicle.Powertrain.Transmission.CurrentGear'] };
  t.equal(drivingAfter([drivingSample('waitingAtLight', 0, { ...gearLate, requiredPresentMs: 0 })]), 'unknown', 'speed present, gear not yet: wait');
  t.equal(drivingAfter([drivingSample('waitingAtLight', 2999, { ...gearLate, requiredPresentMs: 2999 })]), 'unknown', 'still waiting at 2999 ms');
  t.equal(drivingAfter([drivingSample('waitingAtLight', 3000, { ...gearLate, requiredPresentMs: 3000 })]), 'city', 'no gear after 3 s: the speed alone decides');
  t.equal(drivingAfter([drivingSample('parkedInP', 0, { ...gearLate, requiredPresentMs: 0 }), drivingSample('parkedInP', 1000, { requiredPresentMs: 1000 })]), 'parked', 'the gear comes at 1 s, in P: parked, never city');
  t.equal(drivingAfter([drivingSample('waitingAtLight', 0, { requiredPresentMs: 0 })]), 'city', 'every optional signal there: at once');
});

void t.test('offroad is not left for a road signal going stale, only for a smooth road or a speed no track allows', async (t) => {
  const rough = drivingSample('roughTrack', 0, {});
  const verticalGone = { verticalRms: null, degraded: ['Vehicle.Acceleration.Vertical'] };
  t.equal(drivingAfter([rough, drivingSample('roughTrack', 60_000, verticalGone)]), 'offroad', 'the accelerometer went quiet at 25 km/h: still offroad');
  t.equal(drivingAfter([rough, drivingSample('roughTrack', 60_000, { ...verticalGone, speedKmh: 75 })]), 'city', 'at 75 km/h, above the rough-road band: city');
  t.equal(drivingAfter([rough, drivingSample('roughTrack', 60_000, { ...verticalGone, speedKmh: 75, wheelSlip: 0.2 })]), 'offroad', 'unless the wheels that are left say rough');
  t.equal(drivingAfter([rough, drivingSample('roughTrack', 60_000, { verticalRms: null })]), 'city', 'a vehicle without an accelerometer: the other signals decide, as before');
});
