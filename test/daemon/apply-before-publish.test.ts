import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplyResult } from '../../src/backend/driver-backend.js';
import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import type { DecisionRecord } from '../../src/daemon/decision-record.js';
import type { ParameterValues } from '../../src/manifests/personality.js';
import type { ContextPayload, HoldsPayload, PersonalityPayload, SwitchPayload } from '../../src/mqtt/contract.js';
import { RecordingPublisher, runDrive } from '../helpers/scenario.js';

const D = 4; // a forward gear
const P = 126;

/** The simulated pvnic, counting the applies that have returned. */
class CountingBackend extends SimulatedBackend {
  returned = 0;

  override async apply(driverId: string, values: ParameterValues, resources?: readonly string[]): Promise<ApplyResult> {
    const result = await super.apply(driverId, values, resources);
    this.returned++;
    return result;
  }
}

interface Publish {
  topic: string;
  /** Applies the backend had returned when this was published. */
  returned: number;
  canTime?: string;
  seq?: number;
}

/** Notes every publish in order, with how many applies the backend had returned by then. */
class OrderRecorder extends RecordingPublisher {
  readonly log: Publish[] = [];

  constructor(private readonly backend: CountingBackend) {
    super();
  }

  override publishContext(p: ContextPayload): void {
    this.note('state/context', { canTime: p.canTime });
    super.publishContext(p);
  }
  override publishHolds(p: HoldsPayload): void {
    this.note('state/holds');
    super.publishHolds(p);
  }
  override publishDecision(p: DecisionRecord): void {
    this.note('state/decision', { seq: p.seq, canTime: p.canTime });
    super.publishDecision(p);
  }
  override publishPersonality(p: PersonalityPayload): void {
    this.note('state/personality');
    super.publishPersonality(p);
  }
  override publishSwitch(p: SwitchPayload): void {
    this.note('event/switch', { canTime: p.canTime });
    super.publishSwitch(p);
  }

  private note(topic: string, about: Omit<Publish, 'topic' | 'returned'> = {}): void {
    this.log.push({ topic, returned: this.backend.returned, ...about });
  }
}

/**
 * The applies each decision asks the backend for, by seq: one per target with values to apply,
 * or whose new winner the driver's values already fit (taken over through an empty apply).
 */
function appliesAsked(decisions: readonly DecisionRecord[]): Map<number, number> {
  const had = new Map<string, string>();
  return new Map(
    decisions.map((d) => {
      const asked = d.drivers.filter((x) => Object.keys(x.apply).length > 0 || (x.result === 'unchanged' && had.get(x.target) !== x.winner.personality));
      for (const x of asked) had.set(x.target, x.winner.personality);
      return [d.seq, asked.length];
    }),
  );
}

void t.test("a decision's context, holds and record are published after its apply has returned, then its personality and switch, in that order", async (t) => {
  const backend = new CountingBackend([pvnic as unknown as SimulatedDriver]);
  const recorder = new OrderRecorder(backend);
  // The start, parked, city, a hold's runtime part at once and its disruptive rest at the standstill.
  await runDrive(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: P },
      { seconds: 20, speedKmh: 40, gear: D },
      { seconds: 20, onStart: () => void daemon().placeHold({ owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 5 }, { maxPerOwner: 1 }) },
      { seconds: 10, speedKmh: 0 },
    ],
    { backend, published: recorder },
  );
  const { decisions } = recorder;
  const asked = appliesAsked(decisions);
  // The backend runs the applies one after another in decision order: a decision's are done once those of every decision up to it have returned.
  const doneAfter = new Map<number, number>();
  let total = 0;
  for (const d of decisions) doneAfter.set(d.seq, (total += asked.get(d.seq)!));
  t.equal(backend.returned, total, 'every apply a decision asked for was made, and no other');
  const applying = decisions.filter((d) => asked.get(d.seq)! > 0);
  t.same(
    applying.map((d) => d.trigger.replace(/^hold h\S+/, 'hold')),
    ['start', 'driving unknown → parked', 'minimum interval between switches elapsed', 'hold placed by media', 'standstill'],
    'the drive makes the switches it is about: safe taken over at the start, parked, city once the minimum interval is over, the runtime part of a hold, its rest at the standstill',
  );
  const order: Record<string, string[]> = {};
  for (const d of applying) {
    const at = recorder.log.findIndex((p) => p.topic === 'state/decision' && p.seq === d.seq);
    // The step's holds and, before them, its context come right before its record.
    let first = at;
    if (recorder.log[first - 1]?.topic === 'state/holds') first--;
    if (recorder.log[first - 1]?.topic === 'state/context' && recorder.log[first - 1]?.canTime === d.canTime) first--;
    const own = recorder.log.slice(first, at + 3);
    t.same(
      own.filter((p) => p.returned < doneAfter.get(d.seq)!).map((p) => p.topic),
      [],
      `decision ${d.seq} (${d.trigger}): nothing of it published before its apply returned`,
    );
    t.equal(own.at(-1)?.canTime, d.canTime, `decision ${d.seq}: the switch that ends it is the one it decided`);
    order[d.trigger.replace(/^hold h\S+/, 'hold')] = own.map((p) => p.topic);
  }
  t.same(
    order,
    {
      start: ['state/context', 'state/holds', 'state/decision', 'state/personality', 'event/switch'],
      'driving unknown → parked': ['state/context', 'state/decision', 'state/personality', 'event/switch'],
      'minimum interval between switches elapsed': ['state/decision', 'state/personality', 'event/switch'],
      'hold placed by media': ['state/holds', 'state/decision', 'state/personality', 'event/switch'],
      standstill: ['state/decision', 'state/personality', 'event/switch'],
    },
    'each in the order it always had: context, holds, record, then the personality and the switch',
  );
});

void t.test('the hold file is written after the apply a hold caused has returned, never in its way', async (t) => {
  const holdState = join(t.testdir(), 'state', 'holds.json');
  const onDisk = (): string => (existsSync(holdState) ? readFileSync(holdState, 'utf8') : '');
  /** What the hold file held when each apply started. */
  const atStart: string[] = [];
  class WatchingBackend extends SimulatedBackend {
    override async apply(driverId: string, values: ParameterValues, resources?: readonly string[]): Promise<ApplyResult> {
      atStart.push(onDisk());
      return super.apply(driverId, values, resources);
    }
  }
  let placed = '';
  let appliesBefore = 0;
  let afterApply: Promise<string> = Promise.resolve('');
  await runDrive(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: P },
      // Past the minimum interval after the start's switch, so that the hold is applied at once.
      { seconds: 40 },
      {
        seconds: 5,
        onStart: () => {
          appliesBefore = atStart.length;
          placed = daemon().placeHold({ owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 5 }, { maxPerOwner: 1 }).hold.id;
        },
      },
      // Read while the daemon still runs, once what it has under way is done: stopping it writes whatever still waits.
      { seconds: 5, onStart: () => void (afterApply = daemon().settled().then(onDisk)) },
      { seconds: 1 },
    ],
    { backend: new WatchingBackend([pvnic as unknown as SimulatedDriver]), overrides: { holdState }, durableHolds: true },
  );
  t.ok(placed, 'the hold was placed');
  t.ok(atStart.length > appliesBefore, `the hold made an apply (${atStart.length - appliesBefore})`);
  t.notMatch(atStart[appliesBefore], placed, 'the file did not have the hold yet when its apply started');
  t.match(JSON.parse(await afterApply), { holds: [{ id: placed, personality: 'highway' }] }, 'and has it once the apply returned');
});

void t.test('a decision whose recording throws after it queued an apply stalls nothing: what follows is published and the daemon stops', { timeout: 20_000 }, async (t) => {
  const recorder = new RecordingPublisher();
  let thrown = 0;
  let refused = '';
  await runDrive(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: P },
      { seconds: 15, speedKmh: 0, gear: P },
      {
        seconds: 15,
        onStart: () => {
          try {
            daemon().placeHold({ owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 5 }, { maxPerOwner: 1 });
          } catch (err) {
            refused = (err as Error).message;
          }
        },
      },
      { seconds: 15, speedKmh: 40, gear: D },
    ],
    {
      published: recorder,
      decided: (record) => {
        if (thrown === 0 && record.trigger.startsWith('hold ')) {
          thrown++;
          throw new Error('an observer failed');
        }
      },
    },
  );
  // A place kept for that switch and never filled would hold everything after it, and stopping
  // would wait for it forever: runDrive would not return and the test would time out.
  t.equal(refused, 'an observer failed', 'the hold placement saw the failure');
  t.ok(recorder.switches.some((s) => s.to === 'highway'), 'the switch of that decision is still published');
  t.ok(recorder.decisions.some((d) => d.context.driving === 'city'), 'and what was decided after it, moving off, too');
});
