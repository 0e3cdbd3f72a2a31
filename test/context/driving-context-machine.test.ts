import t from 'tap';
import { createActor, type SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { createDrivingContextMachine, DRIVING_CONTEXTS } from '../../src/context/driving-context-machine.js';
import { machine, sample, SITUATIONS, statechart } from './machine-fixtures.js';

type Snapshot = SnapshotFrom<typeof machine>;

/** Every situation, sent well after the current state's dwell has elapsed. */
const traversal = {
  events: (s: Snapshot) => Object.keys(SITUATIONS).map((name) => sample(name, s.context.enteredAtMs + 60_000)),
  serializeState: (s: Snapshot) => s.value as string,
  serializeEvent: (e: { features?: { timeMs: number } }) => JSON.stringify({ ...e, features: { ...e.features, timeMs: 0 } }),
};

void t.test('every context is reachable from the initial state', async (t) => {
  const reached = getShortestPaths(machine, traversal).map((p) => p.state.value as string);
  t.same(new Set(reached), new Set(DRIVING_CONTEXTS));
});

void t.test('the graph has exactly the transitions of the statechart file', async (t) => {
  const declared = new Set<string>();
  for (const [from, node] of Object.entries(statechart.states)) for (const tr of node.on.SAMPLE) declared.add(`${from} → ${tr.target}`);
  const walked = new Set<string>();
  type Vertex = { state: Snapshot; transitions: Record<string, { state: Snapshot }> };
  for (const entry of Object.values(getAdjacencyMap(machine, traversal)) as Vertex[]) {
    const from = entry.state.value as string;
    for (const next of Object.values(entry.transitions)) {
      const to = next.state.value as string;
      if (from !== to) walked.add(`${from} → ${to}`);
    }
  }
  t.same([...walked].sort(), [...declared].sort());
});

void t.test('each transition along the shortest paths, replayed on a live actor', async (t) => {
  for (const path of getShortestPaths(machine, traversal)) {
    const actor = createActor(machine).start();
    for (const step of path.steps) {
      actor.send(step.event);
      t.equal(actor.getSnapshot().value, step.state.value, path.steps.map((s) => s.state.value as string).join(' → '));
    }
    actor.stop();
  }
});

function enter(...steps: Array<[string, number]>) {
  const actor = createActor(machine).start();
  for (const [situation, at] of steps) actor.send(sample(situation, at));
  return actor;
}

void t.test('minimum dwell: city → highway only after 5 s in city', async (t) => {
  const actor = enter(['cityDriving', 0]);
  t.equal(actor.getSnapshot().value, 'city');
  actor.send(sample('highwayCruise', 4_999));
  t.equal(actor.getSnapshot().value, 'city', 'too early');
  actor.send(sample('highwayCruise', 5_000));
  t.equal(actor.getSnapshot().value, 'highway');
});

void t.test('hysteresis: 85 km/h keeps whichever of city and highway is current', async (t) => {
  const city = enter(['cityDriving', 0], ['inHysteresisBand', 60_000]);
  t.equal(city.getSnapshot().value, 'city', 'not above the 90 km/h entry threshold');
  const highway = enter(['highwayCruise', 0], ['inHysteresisBand', 60_000]);
  t.equal(highway.getSnapshot().value, 'highway', 'not below the 80 km/h exit threshold');
});

void t.test('a stop at a light stays city; a two-minute standstill parks', async (t) => {
  const actor = enter(['cityDriving', 0], ['waitingAtLight', 10_000]);
  t.equal(actor.getSnapshot().value, 'city');
  actor.send(sample('longStandstill', 200_000));
  t.equal(actor.getSnapshot().value, 'parked');
});

void t.test('missing signals leave any context at once', async (t) => {
  for (const situation of ['cityDriving', 'highwayCruise', 'roughTrack', 'parkedInP']) {
    const actor = enter([situation, 0], ['signalsMissing', 1]);
    t.equal(actor.getSnapshot().value, 'unknown', situation);
  }
});

void t.test('a statechart naming unknown guards, actions or states is refused with paths', async (t) => {
  const bad = structuredClone(statechart) as unknown as { states: Record<string, unknown> };
  (bad.states.city as { on: { SAMPLE: Array<{ guard: unknown }> } }).on.SAMPLE[1]!.guard = { type: 'isFlying' };
  (bad.states.parked as { entry: string }).entry = 'launch';
  bad.states.space = {};
  delete bad.states.offroad;
  t.throws(() => createDrivingContextMachine(bad, 'chart.json'), {
    code: 'E_DOCUMENT',
    problems: [
      { file: 'chart.json', path: '/states/offroad', message: 'is required' },
      { file: 'chart.json', path: '/states/parked/entry', message: 'unknown action "launch"' },
      { file: 'chart.json', path: '/states/city/on/SAMPLE/1/guard', message: 'unknown guard "isFlying"' },
      { file: 'chart.json', path: '/states/space', message: 'is not a driving context (parked, city, highway, offroad, unknown)' },
    ],
  });
});
