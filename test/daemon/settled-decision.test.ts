import t from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import type { ContextState } from '../../src/context/context-names.js';
import { ContextTracker } from '../../src/context/context-tracker.js';
import { SettledDecision, type DecisionInputs, type PlannedResult } from '../../src/daemon/settled-decision.js';
import type { ManifestIndex } from '../../src/manifests/manifest-index.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { Arbiter } from '../../src/policy/arbiter.js';
import { CAN_START_US } from '../helpers/drive-script.js';
import { runDrive } from '../helpers/scenario.js';

const P = 126;
const D = 3;
const CITY: ContextState = { driving: 'city', workload: 'normal', io: 'quiet', instance: 'unknown' };
const INDEX = {} as ManifestIndex;
const INPUTS: DecisionInputs = { context: CITY, role: null, limping: false, standstill: false, standings: 7, manifests: INDEX };
const UNCHANGED: PlannedResult = { result: 'unchanged', continuing: true };

void t.test('a decision that left nothing to do holds for the same inputs, and for no others', async (t) => {
  const settled = new SettledDecision();
  t.notOk(settled.holds(INPUTS), 'nothing decided yet');
  settled.decided(INPUTS, [UNCHANGED, UNCHANGED], false);
  t.ok(settled.holds({ ...INPUTS, context: { ...CITY } }), 'the same inputs, another object');
  const others: Array<[string, DecisionInputs]> = [
    ['driving', { ...INPUTS, context: { ...CITY, driving: 'highway' } }],
    ['workload', { ...INPUTS, context: { ...CITY, workload: 'pressured' } }],
    ['io', { ...INPUTS, context: { ...CITY, io: 'bulk' } }],
    ['instance', { ...INPUTS, context: { ...CITY, instance: 'constrained' } }],
    ['role', { ...INPUTS, role: 'cockpit' }],
    ['limping', { ...INPUTS, limping: true }],
    ['standstill', { ...INPUTS, standstill: true }],
    ['standings', { ...INPUTS, standings: 8 }],
    ['manifests', { ...INPUTS, manifests: {} as ManifestIndex }],
  ];
  for (const [what, inputs] of others) t.notOk(settled.holds(inputs), `another ${what}`);
});

void t.test('the rest of a switch waiting for a standstill settles until the vehicle stands', async (t) => {
  const settled = new SettledDecision();
  settled.decided(INPUTS, [UNCHANGED, { result: 'pending', continuing: true }], false);
  t.ok(settled.holds(INPUTS), 'moving on: the same pending again');
  t.notOk(settled.holds({ ...INPUTS, standstill: true }), 'standing: the rest may be applied');
  settled.decided(INPUTS, [{ result: 'pending', continuing: false }], false);
  t.notOk(settled.holds(INPUTS), 'a new winner waiting is held to the minimum interval, which reads the time');
});

void t.test('a decision that applied, adopted or deferred settles nothing', async (t) => {
  const settled = new SettledDecision();
  for (const result of ['switch', 'partial', 'deferred'] as const) {
    settled.decided(INPUTS, [UNCHANGED, { result, continuing: false }], false);
    t.notOk(settled.holds(INPUTS), result);
  }
  settled.decided(INPUTS, [{ result: 'unchanged', continuing: false }], true);
  t.notOk(settled.holds(INPUTS), 'a winner adopted without touching the driver');
  settled.decided(INPUTS, [{ result: 'unchanged', continuing: false }], false);
  t.notOk(settled.holds(INPUTS), 'a winner to adopt that limp mode held back: the next sample tries again');
  settled.decided(INPUTS, [UNCHANGED], false);
  settled.decided(INPUTS, [{ result: 'deferred', continuing: false }], false);
  t.notOk(settled.holds(INPUTS), 'a later decision replaces the settled one');
});

/** The clock's seconds of each policy decision and the CAN seconds of each statechart sample while `run` runs. */
async function callsDuring<T>(clock: SimulatedClock, run: () => Promise<T>): Promise<{ result: T; decided: number[]; sampled: number[] }> {
  const decided: number[] = [];
  const sampled: number[] = [];
  // Kept to be called with the instance's own this, and put back after.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const decide = Arbiter.prototype.decide;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const sample = ContextTracker.prototype.sample;
  Arbiter.prototype.decide = function (this: Arbiter, ...args: Parameters<Arbiter['decide']>) {
    decided.push(clock.now() / 1000);
    return decide.apply(this, args);
  };
  ContextTracker.prototype.sample = function (this: ContextTracker, ...args: Parameters<ContextTracker['sample']>) {
    sampled.push(args[0].timeMs / 1000 - CAN_START_US / 1e6);
    return sample.apply(this, args);
  };
  try {
    return { result: await run(), decided, sampled };
  } finally {
    Arbiter.prototype.decide = decide;
    ContextTracker.prototype.sample = sample;
  }
}

const within = (times: readonly number[], from: number, to: number): number[] => times.filter((s) => s >= from && s < to);

void t.test('samples that change nothing decide nothing; holds, their expiry, a deferred switch and a context change decide', async (t) => {
  const clock = new SimulatedClock();
  const hold = (daemon: () => Daemon, holdSeconds: number) => () => void daemon().placeHold({ owner: 'diag', driverId: 'pvnic', personality: 'city', priority: 9, holdSeconds }, { maxPerOwner: 1 });
  const { result: r, decided, sampled } = await callsDuring(clock, () =>
    runDrive(
      (daemon) => [
        { seconds: 15, speedKmh: 0, gear: P },
        { seconds: 15, onStart: hold(daemon, 12) },
        { seconds: 15, onStart: hold(daemon, 20) },
        { seconds: 5, speedKmh: 40, gear: D },
      ],
      { clock },
    ),
  );
  t.same(
    r.switches.map((s) => [s.to, Math.floor(r.at(s.timeMs))]),
    [['safe', 0], ['parked', 0], ['city', 15], ['parked', 27], ['city', 37]],
    'parked; held to city; parked when the hold ends; held again, which waits for the minimum interval of 10 s',
  );
  t.ok(within(sampled, 3, 15).length >= 100, 'the statechart sees every sample while parked');
  t.same(within(decided, 3, 15), [], 'parked with its personality applied: no decision taken again');
  t.ok(within(decided, 15, 15.2).length >= 1, 'a hold is decided on');
  t.same(within(decided, 15.2, 27), [], 'once its switch is applied, nothing more until it expires');
  t.ok(within(decided, 27, 27.2).length >= 1, 'the first sample after the hold expired decides');
  t.same(within(decided, 27.2, 30), [], 'and once back to parked, nothing more');
  const deferred = within(decided, 30.05, 37);
  t.ok(deferred.length >= within(sampled, 30.05, 37).length, `a switch deferred to the minimum interval is decided again at every sample until due (${deferred.length})`);
  t.same(within(decided, 37.2, 45), [], 'applied, nothing more');
  t.ok(within(decided, 45, 50).length > 0, 'driving off changes the context, which decides');
  const triggers = r.published.decisions.map((d) => d.trigger);
  t.ok(triggers.some((trigger) => /^hold h1-\w+ expired$/.test(trigger)), `the expiry is a decision's trigger (${triggers.join('; ')})`);
});

void t.test('driving on while the rest of a switch waits for a standstill decides nothing until the vehicle stands', async (t) => {
  const clock = new SimulatedClock();
  const { result: r, decided } = await callsDuring(clock, () =>
    runDrive(
      () => [
        { seconds: 15, speedKmh: 0, gear: P },
        { seconds: 20, speedKmh: 40, gear: D },
        { seconds: 5, speedKmh: 0 },
      ],
      { clock },
    ),
  );
  const toCity = r.switches.filter((s) => s.to === 'city').map((s) => r.at(s.timeMs));
  t.equal(toCity.length, 2, `the runtime part when driving off, the disruptive rest at the next standstill (${toCity.join(', ')} s)`);
  t.ok(toCity[0]! < 15.5 && toCity[1]! > 35, 'driving off at 15 s, standing again after 35 s');
  t.same(within(decided, 15.5, 35), [], 'meanwhile the same pending rest is not decided again');
  t.ok(within(decided, 35, toCity[1]! + 0.2).length > 0, 'standing, it is');
});
