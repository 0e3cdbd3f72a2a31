/**
 * The applying side's safety nets, end to end through the daemon: a personality that breaks its
 * health bounds is reverted and quarantined, and applies that keep failing make persona limp.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { copyDemoManifests } from '../helpers/demo-manifests-copy.js';
import { driveIntoQuarantine } from '../helpers/dropping-pvnic.js';
import { runScenario } from '../helpers/scenario.js';
import { createLogger } from '../../src/common/logger.js';
import { demoSigned } from '../namespace/fixtures/demo-signed.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { BackendError, type DriverBackend } from '../../src/backend/driver-backend.js';
import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };

const D = 4; // a forward gear
const P = 126;

void t.test('health: a personality that drops packets after the switch is reverted within its window and quarantined until a new version of it is loaded', async (t) => {
  const copy = copyDemoManifests(t.testdir({}));
  const { r, backend } = await driveIntoQuarantine(
    (d) => [
      { seconds: 1, speedKmh: 0, gear: D },
      {
        seconds: 30,
        speedKmh: 110,
        gear: D,
        onStart: () => {
          writeFileSync(join(copy.pvnic, 'highway.dsse.json'), demoSigned('highway', { version: 3 }));
          d().reloadManifests();
        },
      },
    ],
    copy.overrides,
  );
  const toHighway = r.switches.filter((s) => s.to === 'highway');
  t.equal(toHighway.length, 2, 'highway once, and once more after version 3 was loaded');
  t.equal(r.published.health.length, 2, 'event/health each time');
  const [first] = r.published.health;
  t.match(first, { target: 'pvnic', driver: 'pvnic', personality: 'highway', revertTo: 'city', windowMs: 5000, breaches: [{ metric: 'rx_dropped_per_s', bound: 'max', limit: 100 }] });
  const revert = r.switches.find((s) => s.from === 'highway')!;
  t.match(revert, { to: 'city', winner: { source: 'safety', rule: 'health of highway' }, trigger: /^health of highway on pvnic: rx_dropped_per_s \d+(\.\d)? > 100$/ });
  const latencyMs = revert.timeMs - toHighway[0]!.timeMs;
  t.comment(`reverted ${latencyMs} ms after the switch to highway (breach seen after ${first!.afterMs} ms)`);
  t.ok(latencyMs <= 1000 && latencyMs < first!.windowMs, 'reverted within the window, within a second');
  t.equal(backend.read('pvnic', 'pvnic0').interrupt_coalescence_time, 1_000_000, "city's 1 ms coalescing is back at the end");

  // While quarantined the policy still says highway; the decision trace says why it lost.
  const quarantined = r.published.decisions.find((d) => d.drivers[0]?.losers.some((l) => l.personality === 'highway' && /quarantined/.test(l.why)));
  t.ok(quarantined, 'the decision record names the quarantine');
  const between = r.switches.filter((s) => s.timeMs > revert.timeMs && s.timeMs < toHighway[1]!.timeMs);
  t.notOk(between.some((s) => s.to === 'highway'), 'no highway again until its new version was loaded');
});

void t.test('health: refusals from the shared namespace, or another personality adopted, do not end the quarantine', async (t) => {
  for (const [what, outcome] of [
    ['a refusal', { adopted: [], refused: [{ personality: 'pvnic/highway', code: 'E_SIGNATURE', error: 'mqtt:persona/fleet/personalities/pvnic/highway: no valid signature', from: 'mqtt:persona/fleet/personalities/pvnic/highway', atMs: 1, digest: 'x' }] }],
    ['city adopted', { adopted: [{ personality: 'pvnic/city', version: 1, digest: 'c'.repeat(64), from: 'mqtt:persona/fleet/personalities/pvnic/city', atMs: 1 }], refused: [] }],
  ] as const) {
    const { r } = await driveIntoQuarantine((d) => [{ seconds: 30, speedKmh: 110, gear: D, onStart: () => d().personalitiesAdopted(outcome) }]);
    t.equal(r.published.health.length, 1, `${what}: the breach once`);
    t.equal(r.switches.filter((s) => s.to === 'highway').length, 1, `${what}: highway stays quarantined`);
  }
});

void t.test('limp mode: applies failing again and again give the safe personality with backoff and degraded status, until one succeeds', async (t) => {
  const inner = new SimulatedBackend([pvnic as unknown as SimulatedDriver]);
  let daemon: (() => Daemon) | undefined;
  let broken = false;
  const attempts: Array<{ atMs: number; ok: boolean }> = [];
  const backend: DriverBackend = {
    kind: inner.kind,
    drivers: () => inner.drivers(),
    read: (driverId, resource) => inner.read(driverId, resource),
    apply: (driverId, values, resources) => {
      attempts.push({ atMs: daemon?.().timeMs ?? 0, ok: !broken });
      return broken ? Promise.reject(new BackendError('E_DRIVER', driverId, 'the driver failed to set it (EIO); every value was restored')) : inner.apply(driverId, values, resources);
    },
    onDrift: (listener) => inner.onDrift(listener),
    stop: () => inner.stop(),
  };
  const r = await runScenario(
    (d) => {
      daemon = d;
      return [
        { seconds: 1, speedKmh: 0, gear: P },
        { seconds: 30, speedKmh: 40, gear: D, onStart: () => void (broken = true) },
        { seconds: 30, speedKmh: 40, gear: D, onStart: () => void (broken = false) },
      ];
    },
    {},
    undefined,
    backend,
  );
  const limping = r.published.degraded.findIndex((reason) => reason?.startsWith('limp mode: '));
  t.match(r.published.degraded[limping], /^limp mode: 3 applies failed in a row, the last: applying city: pvnic: the driver failed to set it \(EIO\)/);
  t.equal(r.published.degraded.slice(limping + 1).at(-1), undefined, 'status online again once an apply succeeded');

  const failed = attempts.filter((a) => !a.ok);
  const gaps = failed.slice(3).map((a, i) => Math.round((a.atMs - failed[i + 2]!.atMs) / 1000));
  t.comment(`failed applies at ${failed.map((a) => r.at(a.atMs)).join(', ')} s`);
  t.same(gaps, [1, 2, 4, 8, 16].slice(0, gaps.length), 'retries back off: 1 s, 2 s, 4 s, …');
  t.ok(gaps.length >= 3, 'several retries while broken');

  const afterBreak = r.switches.filter((s) => r.at(s.timeMs) > 31);
  t.match(afterBreak[0], { to: 'safe', winner: { source: 'safety' } }, 'the first apply that works is the safe personality');
  t.equal(afterBreak.at(-1)?.to, 'city', 'then the policy again');
});

void t.test('limp mode at once when the driver vanishes, with the reason in status', async (t) => {
  const inner = new SimulatedBackend([pvnic as unknown as SimulatedDriver]);
  let gone = false;
  const backend: DriverBackend = {
    kind: inner.kind,
    drivers: () => (gone ? [] : inner.drivers()),
    read: (driverId, resource) => inner.read(driverId, resource),
    apply: (driverId, values, resources) => (gone ? Promise.reject(new BackendError('E_DRIVER', driverId, 'the driver went away (ENODEV)')) : inner.apply(driverId, values, resources)),
    onDrift: (listener) => inner.onDrift(listener),
    stop: () => inner.stop(),
  };
  const r = await runScenario(() => [
    { seconds: 1, speedKmh: 0, gear: P },
    { seconds: 20, speedKmh: 40, gear: D },
    // At the standstill city's ring size is due; a vanished driver's parameters all wait for one.
    { seconds: 10, speedKmh: 0, gear: D, onStart: () => void (gone = true) },
  ], {}, undefined, backend);
  t.same(r.published.degraded.filter((reason) => reason?.startsWith('limp mode')), ['limp mode: driver pvnic vanished (pvnic: the driver went away (ENODEV))'], 'limp after the first failure');
});

void t.test('a failed apply whose handling fails too is logged, and the applies after it, and what they publish, go on', async (t) => {
  const inner = new SimulatedBackend([pvnic as unknown as SimulatedDriver]);
  let failNext = false;
  let listFails = false;
  const backend: DriverBackend = {
    kind: inner.kind,
    drivers: () => {
      if (!listFails) return inner.drivers();
      listFails = false;
      throw new Error('the driver list cannot be read (EIO)');
    },
    read: (driverId, resource) => inner.read(driverId, resource),
    apply: (driverId, values, resources) => {
      if (!failNext) return inner.apply(driverId, values, resources);
      failNext = false;
      listFails = true; // what the failure's handling asks next
      return Promise.reject(new BackendError('E_DRIVER', driverId, 'the driver failed to set it (EIO); every value was restored'));
    },
    onDrift: (listener) => inner.onDrift(listener),
    stop: () => inner.stop(),
  };
  const logged: string[] = [];
  const r = await runScenario(
    () => [
      { seconds: 1, speedKmh: 0, gear: P },
      { seconds: 20, speedKmh: 40, gear: D, onStart: () => void (failNext = true) },
      { seconds: 30, speedKmh: 110, gear: D },
    ],
    {},
    undefined,
    backend,
    undefined,
    createLogger('persona', 'info', (line) => logged.push(line)),
  );
  t.match(logged.join('\n'), /applying city to pvnic: the driver list cannot be read \(EIO\)/, 'the second failure is logged with what was applied where');
  t.equal(r.switches.at(-1)?.to, 'highway', 'later applies still run');
  t.equal(r.published.personalities.at(-1)?.drivers.pvnic?.personality, 'highway', 'and what they publish goes out');
});
