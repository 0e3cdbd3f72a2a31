/**
 * One behaviour for every DriverBackend that drives pvnic: run against SimulatedBackend on the
 * host (simulated-conformance.test.ts) and against KmodBackend on the real kernel module in the
 * VM (test/vm/persona-conformance-probe.ts). Every test starts from whatever values the driver
 * has, since the kernel's persist from one test to the next.
 */
import type { Test } from 'tap';
import type { ParameterValue, ParameterValues } from '../../src/manifests/personality.js';
import type { DriverBackend } from '../../src/backend/driver-backend.js';
import { sameValue } from '../../src/backend/parameter-check.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };

import type { Drift } from '../../src/backend/driver-backend.js';


export interface ConformanceSubject {
  readonly backend: DriverBackend & { onDrift(listener: (drift: Drift) => void): () => void };
  /** The nth value the driver is asked to write from now on fails. */
  failNthWrite(nth: number): Promise<void>;
  /** Sets interrupt_coalescence_time (a whole number of µs) of one resource behind the backend's back. */
  driftCoalescing(resource: string, ns: number): Promise<void>;
  close(): Promise<void>;
}

const DRIVER = 'pvnic';
const NAMES = ['interrupt_coalescence_time', 'DMA_buffer_size', 'power_saving_mode', 'feature_set'];
const POWER = ['disabled', 'balanced', 'aggressive'];

/** Values that differ from `current` in every parameter, in the driver's order. */
function otherThan(current: ParameterValues): Record<string, ParameterValue> {
  const set = ['gro', 'rx_checksum', 'tso'];
  return {
    interrupt_coalescence_time: current.interrupt_coalescence_time === 1_000_000 ? 3_000_000 : 1_000_000,
    DMA_buffer_size: current.DMA_buffer_size === 16_384 ? 32_768 : 16_384,
    power_saving_mode: POWER[(POWER.indexOf(current.power_saving_mode as string) + 1) % POWER.length]!,
    feature_set: sameValue(current.feature_set, set) ? ['sg'] : set,
  };
}

async function generation(backend: DriverBackend): Promise<number> {
  return (await backend.apply(DRIVER, {})).generation;
}

function readAll(backend: DriverBackend): Record<string, ParameterValues> {
  return Object.fromEntries(pvnic.resources.map((r) => [r, backend.read(DRIVER, r)]));
}

export function backendConformance(t: Test, open: () => Promise<ConformanceSubject>): void {
  const withSubject = (name: string, body: (t: Test, s: ConformanceSubject) => Promise<void>): void => {
    void t.test(name, async (t) => {
      const subject = await open();
      t.teardown(() => subject.close());
      await body(t, subject);
    });
  };

  withSubject('declares pvnic as its simulated twin does', async (t, { backend }) => {
    const driver = backend.drivers().find((d) => d.id === DRIVER);
    if (!t.ok(driver, 'pvnic is listed') || !driver) return;
    const { id, version, resources, parameters } = driver;
    t.same({ id, version, resources, parameters }, { id: pvnic.id, version: pvnic.version, resources: pvnic.resources, parameters: pvnic.parameters });
  });

  withSubject('reads normalised values of every resource', async (t, { backend }) => {
    for (const [resource, values] of Object.entries(readAll(backend))) {
      t.same(Object.keys(values).sort(), [...NAMES].sort(), `${resource}: every parameter`);
      const { interrupt_coalescence_time: ns, DMA_buffer_size: bytes, power_saving_mode: power, feature_set: features } = values;
      t.ok(Number.isSafeInteger(ns) && (ns as number) >= 0 && (ns as number) <= 100_000_000, `${resource}: coalescing ${String(ns)} ns`);
      t.ok(Number.isSafeInteger(bytes) && (bytes as number) >= 4096 && (bytes as number) <= 4_194_304, `${resource}: DMA ${String(bytes)} B`);
      t.ok(POWER.includes(power as string), `${resource}: power ${String(power)}`);
      t.same(features, [...(features as string[])].sort(), `${resource}: the feature set is sorted`);
    }
    t.throws(() => backend.read(DRIVER, 'eth0'), { code: 'E_RESOURCE' });
    t.throws(() => backend.read('nope'), { code: 'E_DRIVER' });
  });

  withSubject('applies every value to every resource, reports each change and reads it back', async (t, { backend }) => {
    const g0 = await generation(backend);
    const before = readAll(backend);
    const next = otherThan(before.pvnic0!);
    const r = await backend.apply(DRIVER, next);
    const expected = pvnic.resources.flatMap((resource) =>
      NAMES.filter((name) => !sameValue(before[resource]![name], next[name]!)).map((name) => ({ resource, name, from: before[resource]![name], to: next[name] })),
    );
    t.same(r.changes, expected);
    t.equal(r.driverId, DRIVER);
    t.equal(r.generation, g0 + 1, 'one generation per apply');
    t.ok(r.durationMs >= 0);
    for (const resource of pvnic.resources) t.same(backend.read(DRIVER, resource), next, `${resource} reads back`);
  });

  withSubject('an apply naming one resource leaves the others', async (t, { backend }) => {
    const before = readAll(backend);
    const next = { interrupt_coalescence_time: (before.pvnic1!.interrupt_coalescence_time as number) + 1000 };
    const r = await backend.apply(DRIVER, next, ['pvnic1']);
    t.same(r.changes, [{ resource: 'pvnic1', name: 'interrupt_coalescence_time', from: before.pvnic1!.interrupt_coalescence_time, to: next.interrupt_coalescence_time }]);
    t.same(backend.read(DRIVER, 'pvnic0'), before.pvnic0, 'pvnic0 is untouched');
  });

  withSubject('an apply that changes nothing keeps the generation', async (t, { backend }) => {
    const g0 = await generation(backend);
    const r = await backend.apply(DRIVER, backend.read(DRIVER));
    t.same(r.changes.filter((c) => c.resource === 'pvnic0'), [], 'nothing changed on pvnic0');
    const again = await backend.apply(DRIVER, backend.read(DRIVER), ['pvnic0']);
    t.same(again.changes, []);
    t.equal(again.generation, r.generation, 'no change, no new generation');
    t.ok(r.generation >= g0);
  });

  withSubject('a refused value or resource anywhere changes nothing', async (t, { backend }) => {
    const g0 = await generation(backend);
    const before = readAll(backend);
    const next = otherThan(before.pvnic0!);
    const cases: Array<[Record<string, unknown>, readonly string[] | undefined, { code: string; path?: string }]> = [
      [{ ...next, DMA_buffer_size: 1024 }, undefined, { code: 'E_RANGE', path: 'pvnic/DMA_buffer_size' }],
      [{ ...next, DMA_buffer_size: 4_194_305 }, undefined, { code: 'E_RANGE', path: 'pvnic/DMA_buffer_size' }],
      [{ ...next, interrupt_coalescence_time: 100_000_001 }, undefined, { code: 'E_RANGE', path: 'pvnic/interrupt_coalescence_time' }],
      [{ ...next, interrupt_coalescence_time: 1.5 }, undefined, { code: 'E_RANGE' }],
      [{ ...next, power_saving_mode: 'turbo' }, undefined, { code: 'E_RANGE', path: 'pvnic/power_saving_mode' }],
      [{ ...next, feature_set: ['tso', 'warp'] }, undefined, { code: 'E_RANGE', path: 'pvnic/feature_set' }],
      [{ ...next, feature_set: 'tso' }, undefined, { code: 'E_RANGE' }],
      [{ ...next, mtu: 1500 }, undefined, { code: 'E_PARAMETER', path: 'pvnic/mtu' }],
      [next, ['pvnic0', 'pvnic7'], { code: 'E_RESOURCE', path: 'pvnic/pvnic7' }],
    ];
    for (const [values, resources, error] of cases) {
      await t.rejects(backend.apply(DRIVER, values as ParameterValues, resources), error, JSON.stringify(values));
    }
    await t.rejects(backend.apply('nope', next), { code: 'E_DRIVER' });
    t.same(readAll(backend), before, 'every resource as before');
    t.equal(await generation(backend), g0, 'the generation as before');
  });

  withSubject('a driver failure at any position rolls every value back', async (t, s) => {
    const { backend } = s;
    for (let k = 1; k <= NAMES.length; k++) {
      const g0 = await generation(backend);
      const before = readAll(backend);
      await s.failNthWrite(k);
      await t.rejects(backend.apply(DRIVER, otherThan(before.pvnic0!), ['pvnic0']), { code: 'E_DRIVER', path: `pvnic/${NAMES[k - 1]}` }, `failure at write ${k}`);
      t.same(readAll(backend), before, `failure at write ${k}: every value restored`);
      t.equal(await generation(backend), g0, `failure at write ${k}: no new generation`);
    }
  });

  withSubject('a failure on the second resource rolls the first back too', async (t, s) => {
    const { backend } = s;
    await backend.apply(DRIVER, backend.read(DRIVER, 'pvnic0'));
    const g0 = await generation(backend);
    const before = readAll(backend);
    await s.failNthWrite(NAMES.length + 2);
    await t.rejects(backend.apply(DRIVER, otherThan(before.pvnic0!)), { code: 'E_DRIVER', path: 'pvnic/DMA_buffer_size' });
    t.same(readAll(backend), before, 'both resources restored');
    t.equal(await generation(backend), g0);
  });

  withSubject('generations rise by one per changing apply, concurrent applies included', async (t, { backend }) => {
    const g0 = await generation(backend);
    const base = backend.read(DRIVER, 'pvnic0').interrupt_coalescence_time as number;
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => backend.apply(DRIVER, { interrupt_coalescence_time: base + i * 1000 }, ['pvnic0'])));
    t.same(results.map((r) => r.generation), [g0 + 1, g0 + 2, g0 + 3, g0 + 4, g0 + 5]);
    t.same(results.map((r) => r.changes[0]?.from), [base, base + 1000, base + 2000, base + 3000, base + 4000], 'each saw the one before');
    t.equal(backend.read(DRIVER, 'pvnic0').interrupt_coalescence_time, base + 5000);
  });

  withSubject('a change behind its back is reported as drift and read', async (t, s) => {
    const { backend } = s;
    const g0 = await generation(backend);
    const current = backend.read(DRIVER, 'pvnic1').interrupt_coalescence_time;
    const drifted = current === 7_000_000 ? 9_000_000 : 7_000_000;
    const seen = new Promise<Drift>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no drift reported within 5 s')), 5000);
      const off = backend.onDrift((drift) => {
        clearTimeout(timer);
        off();
        resolve(drift);
      });
    });
    await s.driftCoalescing('pvnic1', drifted);
    t.same(await seen, { driverId: DRIVER, resources: ['pvnic1'], parameters: ['interrupt_coalescence_time'], generation: g0 + 1 });
    t.equal(backend.read(DRIVER, 'pvnic1').interrupt_coalescence_time, drifted);
    const r = await backend.apply(DRIVER, { interrupt_coalescence_time: drifted + 1000 }, ['pvnic1']);
    t.same(r.changes, [{ resource: 'pvnic1', name: 'interrupt_coalescence_time', from: drifted, to: drifted + 1000 }], 'the next apply starts from the drifted value');
    t.equal(r.generation, g0 + 2);
  });
}
