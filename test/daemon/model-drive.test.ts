import t from 'tap';
import type { SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import type { ContextState } from '../../src/context/context-names.js';
import type { Leg } from '../helpers/drive-script.js';
import { runScenario } from '../helpers/scenario.js';
import { machine, sample, SITUATIONS, type Situation } from '../context/machine-fixtures.js';

type Snapshot = SnapshotFrom<typeof machine>;
const driving = (s: Snapshot): string => (s.value as unknown as ContextState).driving;

/** How each abstract situation is driven on the bus: held long enough for smoothing and dwell. */
const LEGS: Record<Situation, Leg> = {
  parkedInP: { seconds: 12, speedKmh: 0, gear: 126, verticalRms: 0.05, slip: 0 },
  signalsMissing: { seconds: 2, silent: true },
  cityDriving: { seconds: 12, speedKmh: 40, gear: 3, verticalRms: 0.1, slip: 0 },
  waitingAtLight: { seconds: 12, speedKmh: 0, gear: 1, verticalRms: 0.05, slip: 0 },
  longStandstill: { seconds: 125, speedKmh: 0, gear: 0, verticalRms: 0.05, slip: 0 },
  ruralRoad: { seconds: 12, speedKmh: 75, gear: 5, verticalRms: 0.1, slip: 0 },
  highwayCruise: { seconds: 12, speedKmh: 115, gear: 6, verticalRms: 0.1, slip: 0 },
  roughTrack: { seconds: 12, speedKmh: 25, gear: 2, verticalRms: 3, slip: 0 },
  slipperyTrack: { seconds: 12, speedKmh: 20, gear: 2, verticalRms: 0.3, slip: 0.2 },
};

/** Situations in which each driving context is where the car stays. */
const STAYS_IN: Record<string, readonly Situation[]> = {
  parked: ['parkedInP', 'longStandstill'],
  city: ['cityDriving', 'ruralRoad', 'waitingAtLight'],
  highway: ['highwayCruise'],
  offroad: ['roughTrack', 'slipperyTrack'],
  unknown: ['signalsMissing'],
};

const traversal = {
  events: (s: Snapshot) => (Object.keys(SITUATIONS) as Situation[]).map((n) => sample(n, s.context.drivingSinceMs + 200_000)),
  serializeState: (s: Snapshot) => driving(s),
  serializeEvent: (e: { type: string; features?: object }) => JSON.stringify({ ...e, features: { ...e.features, timeMs: 0 } }),
};

void t.test('every driving transition, driven through the real decoder by encoded CAN frames', async (t) => {
  const toState = new Map(getShortestPaths(machine, traversal).map((p) => [driving(p.state), p.steps.slice(1).map((s) => (s.event as ReturnType<typeof sample>).features)]));
  type Vertex = { state: Snapshot; transitions: Record<string, { event: ReturnType<typeof sample>; state: Snapshot }> };
  const situationOf = (f: object): Situation => (Object.keys(SITUATIONS) as Situation[]).find((n) => JSON.stringify({ ...SITUATIONS[n], timeMs: 0 }) === JSON.stringify({ ...f, timeMs: 0 }))!;
  const cases: Array<{ from: string; to: string; situations: Situation[] }> = [];
  for (const vertex of Object.values(getAdjacencyMap(machine, traversal)) as Vertex[]) {
    const from = driving(vertex.state);
    const triggers = new Map<string, Situation[]>();
    for (const next of Object.values(vertex.transitions)) {
      const to = driving(next.state);
      if (to !== from) triggers.set(to, [...(triggers.get(to) ?? []), situationOf(next.event.features)]);
    }
    for (const [to, situations] of triggers) {
      // A situation in which the car stays in `to`, where there is one: on a real bus it keeps going.
      const trigger = situations.find((s) => STAYS_IN[to]?.includes(s)) ?? situations[0]!;
      cases.push({ from, to, situations: [...(toState.get(from) ?? []).map(situationOf), trigger] });
    }
  }
  t.equal(cases.length, 15, 'the 15 driving transitions of the statechart');
  for (const c of cases) {
    const r = await runScenario(() => c.situations.map((s) => LEGS[s]));
    const observed = r.changes.filter((x) => x.region === 'driving').map((x) => `${x.from} → ${x.to}`);
    t.ok(observed.includes(`${c.from} → ${c.to}`), `${c.from} → ${c.to} via ${c.situations.join(', ')}: saw ${observed.join(', ')}`);
    t.equal(r.changes.filter((x) => x.region === 'driving').at(-1)?.to ?? 'unknown', c.to, `${c.from} → ${c.to} ends in ${c.to}`);
  }
});
