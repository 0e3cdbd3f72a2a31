import t from 'tap';
import type { Leg } from '../helpers/drive-script.js';
import { runScenario } from '../helpers/scenario.js';
import { DEFAULT_REQUIRED_GRACE_MS } from '../../src/context/driving-features.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import { createLogger } from '../../src/common/logger.js';
import type { InstanceInput } from '../../src/context/instance-features.js';
import { contractProblems } from '../helpers/contract-schemas.js';

const D = 4; // a forward gear
const P = 126;

void t.test('flapping: ±5 km/h around every speed threshold for 10 minutes', async (t) => {
  const minDwellS = 5;
  const tenMinutes = 600;
  for (const [name, centre, start] of [
    ['standstill/moving (3 km/h)', 3, 'city'],
    ['urban limit (60 km/h)', 60, 'highway'],
    ['motorway entry (90 km/h)', 90, 'city'],
  ] as const) {
    for (const periodS of [2, 30]) {
      const warmUp: Leg = start === 'highway' ? { seconds: 20, speedKmh: 110, gear: D } : { seconds: 20, speedKmh: 40, gear: D };
      const r = await runScenario(() => [
        { seconds: 1, speedKmh: 0, gear: P },
        warmUp,
        { seconds: tenMinutes, speedKmh: (s) => centre + 5 * Math.sin((2 * Math.PI * s) / periodS) },
      ]);
      const during = r.changes.filter((c) => c.region === 'driving' && r.at(c.timeMs) > 21);
      const switches = r.switches.filter((s) => r.at(s.timeMs) > 21);
      t.comment(`${name}, period ${periodS} s: ${during.length} context changes, ${switches.length} switches in 10 min`);
      t.ok(during.length <= tenMinutes / minDwellS, `${name}, period ${periodS} s: context changes within the dwell bound`);
      t.ok(during.length <= 1, `${name}, period ${periodS} s: hysteresis holds (at most the one crossing it is there for)`);
    }
  }
});

void t.test('stale: when all frames stop, unknown and the safe personality after the grace, within 2 × the maximum age of it', async (t) => {
  const r = await runScenario(() => [
    { seconds: 1, speedKmh: 0, gear: P },
    { seconds: 20, speedKmh: 40, gear: D },
    { seconds: 2, silent: true },
  ]);
  const lastFrameS = 21;
  const unknown = r.changes.find((c) => c.region === 'driving' && c.to === 'unknown')!;
  const safe = r.switches.find((s) => s.to === 'safe' && r.at(s.timeMs) > lastFrameS)!;
  const maxAgeS = 0.06; // Vehicle.Speed: 3 × its 20 ms cycle
  const graceS = DEFAULT_REQUIRED_GRACE_MS / 1000;
  const after = unknown ? r.at(unknown.timeMs) - lastFrameS : Number.NaN;
  t.ok(after > graceS && after <= graceS + 2 * maxAgeS, `unknown ${Math.round(after * 1000)} ms after the last frame: not within the grace, soon after it`);
  t.ok(safe && r.at(safe.timeMs) - lastFrameS <= graceS + 2 * maxAgeS, 'safe personality at the same time');
  t.equal(safe.winner.source, 'safety');
  t.same(Object.keys(safe.waiting), ['DMA_buffer_size'], 'its disruptive parameter waits: the car may still be moving');
});

void t.test('a gap in every frame shorter than the grace changes nothing', async (t) => {
  const r = await runScenario(() => [
    { seconds: 1, speedKmh: 0, gear: P },
    { seconds: 20, speedKmh: 40, gear: D },
    { seconds: 0.8, silent: true },
    { seconds: 5, speedKmh: 40, gear: D },
  ]);
  t.same(
    r.changes.filter((c) => c.region === 'driving').map((c) => c.to),
    ['parked', 'city'],
    'a bus quiet for 0.8 s: city stays',
  );
});

void t.test('a bus silent from the start: the safe personality within 2 × the maximum age, then the context once frames come', async (t) => {
  const r = await runScenario(() => [
    { seconds: 2, silent: true },
    { seconds: 5, speedKmh: 0, gear: P },
  ]);
  const maxAgeS = 0.06;
  const [first, second] = r.switches;
  t.ok(first && r.at(first.timeMs) <= 2 * maxAgeS, `safe at ${first ? r.at(first.timeMs) : '-'} s, with no frame yet`);
  t.equal(first?.to, 'safe');
  t.equal(first?.winner.source, 'safety');
  t.ok(second && r.at(second.timeMs) >= 2, 'the next switch waits for frames');
  t.same(
    r.changes.filter((c) => c.region === 'driving').map((c) => c.to),
    ['parked'],
    'unknown until the first frames, then parked',
  );
});

void t.test('holds: priority, release with the wrong token, expiry, owner loss, and safety over holds', async (t) => {
  let media: { id: string; token: string } | undefined;
  const log: string[] = [];
  const r = await runScenario((daemon) => [
    { seconds: 1, speedKmh: 0, gear: P },
    { seconds: 15, speedKmh: 40, gear: D },
    {
      seconds: 15,
      onStart: () => {
        const placed = daemon().placeHold({ owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 5 }, { maxPerOwner: 1 });
        media = { id: placed.hold.id, token: placed.token };
        daemon().placeHold({ owner: 'navigation', driverId: 'pvnic', personality: 'offroad', priority: 3 }, { maxPerOwner: 1 });
      },
    },
    {
      seconds: 15,
      onStart: () => {
        try {
          daemon().releaseHold(media!.id, 'guessed');
        } catch (err) {
          log.push((err as { code: string }).code);
        }
      },
    },
    { seconds: 15, onStart: () => daemon().releaseHold(media!.id, media!.token) },
    { seconds: 15, onStart: () => void daemon().dropOwner('navigation') },
    { seconds: 15, onStart: () => void daemon().placeHold({ owner: 'diag', driverId: 'pvnic', personality: 'highway', priority: 9, holdSeconds: 5 }, { maxPerOwner: 1 }) },
    { seconds: 2, silent: true },
    { seconds: 15, speedKmh: 40, gear: D },
  ]);
  const winners = r.published.decisions.map((d) => `${d.drivers[0]!.winner.source}:${d.drivers[0]!.winner.personality}`);
  const sequence = winners.filter((w, i) => w !== winners[i - 1]);
  t.same(sequence, [
    'safety:safe',
    'policy:parked',
    'policy:city',
    'hold:highway', // media (5) beats navigation (3) and the policy
    'hold:offroad', // media released with its token: navigation is next
    'policy:city', // navigation's owner went away
    'hold:highway', // diag, for 5 s
    'policy:city', // expired
    'safety:safe', // frames stopped: safety beats every hold
    'policy:city',
  ]);
  t.same(log, ['E_HOLD_TOKEN'], 'a wrong token is refused');
  const wrongTokenAt = 31;
  t.ok(r.switches.every((s) => Math.abs(r.at(s.timeMs) - wrongTokenAt) > 0.5), 'and changes nothing');
});

void t.test('gating: a disruptive change asked for at speed waits for the next standstill', async (t) => {
  const r = await runScenario((daemon) => [
    { seconds: 1, speedKmh: 0, gear: P },
    { seconds: 20, speedKmh: 40, gear: D },
    { seconds: 20, onStart: () => void daemon().placeHold({ owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 5 }, { maxPerOwner: 1 }) },
    { seconds: 10, speedKmh: 0 },
  ]);
  const toHighway = r.switches.filter((s) => s.to === 'highway');
  t.equal(toHighway.length, 2, 'in two parts');
  t.same([...new Set(toHighway[0]!.changes.map((c) => c.name))].sort(), ['feature_set', 'interrupt_coalescence_time', 'power_saving_mode'], 'runtime parameters at once');
  t.same(toHighway[0]!.waiting, { DMA_buffer_size: 262144 });
  t.equal(r.at(toHighway[0]!.timeMs), 21);
  t.same(
    toHighway[1]!.changes,
    ['pvnic0', 'pvnic1'].map((resource) => ({ resource, name: 'DMA_buffer_size', from: 16384, to: 262144 })),
    "the rest at the standstill, on both devices (city's 64KB never got its standstill)",
  );
  t.ok(r.at(toHighway[1]!.timeMs) > 41 && r.at(toHighway[1]!.timeMs) < 43, `at ${r.at(toHighway[1]!.timeMs)} s, once the smoothed speed is at or below 1 km/h`);
  const personality = r.published.personalities.at(-1)!.drivers.pvnic!;
  t.same(personality.pending, {}, 'nothing pending any more');
  t.equal(personality.parameters.DMA_buffer_size, '256KB');
});

void t.test('workload: on the motorway under sustained pressure the policy keeps the lighter city personality', async (t) => {
  const quietIo = { disk: null, net: null };
  const r = await runScenario(
    () => [
      { seconds: 1, speedKmh: 0, gear: P },
      { seconds: 20, speedKmh: 40, gear: D },
      { seconds: 40, speedKmh: 110, gear: D },
      { seconds: 40, speedKmh: 110, gear: D },
    ],
    {},
    (clock) => ({ timeMs: clock.now(), cpuPressure: clock.now() > 61_000 ? 40 : 3, memoryPressure: 0, ioPressure: 0, ...quietIo }),
  );
  const workload = r.changes.filter((c) => c.region === 'workload').map((c) => `${c.from} → ${c.to}`);
  t.same(workload, ['normal → pressured']);
  const personalities = r.switches.filter((s) => s.changes.length > 0).map((s) => `${s.to} (${s.trigger})`);
  t.same(personalities.slice(-2), ['highway (driving city → highway)', 'city (workload normal → pressured)']);
  t.equal(r.switches.at(-1)!.winner.rule, 'policy.json#/drivers/pvnic/rules/2');
});

void t.test('instance: a host that rates the instance constrained keeps city on the motorway; stale is ignored with one warning; driving unknown is still safe', async (t) => {
  const logged: string[] = [];
  const host = (daemon: Daemon, fields: Partial<InstanceInput>): void =>
    daemon.onInstance({ timeMs: daemon.timeMs, stale: false, role: 'cockpit', resources: 'normal', hostPressure: 20, updated: '2026-01-01T09:00:00.000Z', source: 'dir:/run/host-context', ...fields });
  const r = await runScenario(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: P },
      { seconds: 20, speedKmh: 40, gear: D, onStart: () => host(daemon(), {}) },
      { seconds: 40, speedKmh: 110, gear: D },
      { seconds: 30, speedKmh: 110, gear: D, onStart: () => host(daemon(), { resources: 'constrained', hostPressure: 70, updated: '2026-01-01T09:01:00.000Z' }) },
      {
        seconds: 30,
        speedKmh: 110,
        gear: D,
        // The namespace keeps delivering the last context it had, marked stale.
        onStart: () => [1, 2, 3].forEach(() => host(daemon(), { stale: true, resources: 'constrained', hostPressure: 70, updated: '2026-01-01T09:01:00.000Z' })),
      },
      { seconds: 20, speedKmh: 110, gear: D, onStart: () => host(daemon(), { role: 'adas', updated: '2026-01-01T09:02:10.000Z' }) },
      { seconds: 2, silent: true },
    ],
    {},
    undefined,
    undefined,
    undefined,
    createLogger('persona', 'info', (line) => logged.push(line)),
  );
  t.same(
    r.changes.filter((c) => c.region === 'instance').map((c) => `${c.from} → ${c.to}`),
    ['unknown → normal', 'normal → constrained', 'constrained → unknown', 'unknown → normal'],
  );
  const personalities = r.switches.filter((s) => s.changes.length > 0).map((s) => `${s.to} (${s.trigger})`);
  t.same(personalities.slice(-4), [
    'highway (driving city → highway)',
    'city (instance normal → constrained)',
    'highway (instance constrained → unknown, instance role cockpit → none)',
    'safe (driving highway → unknown)',
  ]);
  const constrained = r.published.decisions.find((d) => d.trigger === 'instance normal → constrained')!;
  t.match(constrained, { context: { driving: 'highway', instance: 'constrained' }, inputs: { instance: { stale: false, resources: 'constrained', hostPressure: 70 } } });
  t.same(constrained.drivers[0]!.winner, { source: 'policy', personality: 'city', rule: 'policy.json#/drivers/pvnic/rules/3' }, 'the decision names the rule that keeps city while constrained');
  t.same(
    logged.filter((l) => l.includes('persona:instance')),
    ['warn  persona:instance: instance context from dir:/run/host-context is stale (updated 2026-01-01T09:01:00.000Z): ignored', 'info  persona:instance: instance context from dir:/run/host-context is fresh again (updated 2026-01-01T09:02:10.000Z)'],
    'three stale inputs, one warning; once more when fresh again',
  );
  const last = r.published.decisions.at(-1)!;
  t.match(last, { trigger: 'driving highway → unknown', context: { driving: 'unknown', instance: 'normal' }, inputs: { instance: { stale: false, role: 'adas' } } });
  t.same(last.drivers[0]!.winner, { source: 'safety', personality: 'safe', rule: 'policy.json#/drivers/pvnic/safe' }, 'driving unknown gives safe while the instance says normal');
  t.same(
    r.published.contexts.filter((c) => c.context === 'highway').map((c) => [c.instance, c.role, c.hostPressure]),
    [['normal', 'cockpit', 20], ['constrained', 'cockpit', 70], ['unknown', null, null], ['normal', 'adas', 20]],
    'state/context carries the role and host pressure, null while unknown',
  );
  const bootId = '00000000-0000-4000-8000-000000000000';
  t.same(r.published.contexts.flatMap((c, i) => contractProblems('persona/demo/state/context', JSON.stringify({ ...c, seq: i + 1, bootId }))), [], 'state/context matches its schema');
  t.same(r.published.decisions.flatMap((d, i) => contractProblems('persona/demo/state/decision', JSON.stringify({ ...d, seq: i + 1, bootId }))), [], 'state/decision matches its schema');
});

void t.test('per resource: a device with rules of its own switches on its own', async (t) => {
  const dir = t.testdir({
    'policy.json': JSON.stringify({
      minSwitchIntervalMs: 0,
      drivers: {
        pvnic: {
          safe: 'safe',
          rules: [
            { when: { driving: 'parked' }, personality: 'parked' },
            { when: {}, personality: 'city' },
          ],
          resources: { pvnic1: { rules: [{ when: {}, personality: 'offroad' }] } },
        },
      },
    }),
  });
  const r = await runScenario(() => [
    { seconds: 1, speedKmh: 0, gear: P },
    { seconds: 10, speedKmh: 0, gear: P },
  ], { policy: `${dir}/policy.json` });
  const byTarget = (key: string) => r.switches.filter((s) => s.target.key === key).map((s) => s.to);
  t.same(byTarget('pvnic'), ['safe', 'parked']);
  t.same(byTarget('pvnic/pvnic1'), ['safe', 'offroad']);
  t.same(new Set(r.switches.at(-1)!.changes.map((c) => c.resource)), new Set(['pvnic1']), 'the override touched pvnic1 only');
  const state = r.published.personalities.at(-1)!.drivers;
  t.same(Object.keys(state).sort(), ['pvnic', 'pvnic/pvnic1']);
  t.same(state.pvnic!.resources, ['pvnic0']);
  t.equal(state['pvnic/pvnic1']!.parameters.interrupt_coalescence_time, '500us');
  t.equal(state.pvnic!.parameters.interrupt_coalescence_time, '8ms');
});

void t.test('drift: values changed behind persona\'s back are reported, then re-asserted or left as configured', async (t) => {
  for (const onDrift of ['reassert', 'report'] as const) {
    const backend = new SimulatedBackend([pvnic as unknown as SimulatedDriver]);
    const r = await runScenario(
      () => [
        { seconds: 1, speedKmh: 0, gear: P },
        { seconds: 15, speedKmh: 40, gear: D },
        { seconds: 5, onStart: () => backend.drift('pvnic', 'pvnic1', { interrupt_coalescence_time: 50_000_000 }) },
      ],
      { onDrift },
      undefined,
      backend,
    );
    t.match(r.published.drifts, [{ driver: 'pvnic', resources: ['pvnic1'], parameters: ['interrupt_coalescence_time'], action: onDrift }], `${onDrift}: event/drift`);
    t.match(r.published.degraded[0], /^drift on pvnic pvnic1: interrupt_coalescence_time changed outside persona$/, `${onDrift}: status degraded with the reason`);
    const value = backend.read('pvnic', 'pvnic1').interrupt_coalescence_time;
    if (onDrift === 'reassert') {
      t.equal(value, 1_000_000, 'reassert: city\'s 1ms is back on pvnic1');
      t.same(r.published.degraded, [r.published.degraded[0], undefined], 'reassert: online again once re-applied');
      t.equal(r.switches.at(-1)!.trigger, 'drift on pvnic');
    } else {
      t.equal(value, 50_000_000, 'report: the drifted value stays');
      t.equal(r.published.degraded.length, 1, 'report: still degraded');
    }
  }
});
