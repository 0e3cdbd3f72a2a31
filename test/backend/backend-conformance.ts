/**
 * One behaviour for every DriverBackend: run against SimulatedBackend on the host
 * (simulated-conformance.test.ts), against KmodBackend on the real kernel module in the VM
 * (test/vm/persona-conformance-probe.ts), and against the userspace backends on pvnic and loop
 * devices (test/vm/userspace-backends-probe.ts, sysfs-conformance.test.ts). Each run names the
 * driver it drives (a ConformanceTarget; pvnic by default). Every test starts from whatever
 * values the driver has, since a real driver's persist from one test to the next.
 */
import type { ConformanceTest as Test } from './conformance-test.js';
import type { ParameterValue, ParameterValues } from '../../src/manifests/personality.js';
import type { DriverBackend, DriverInfo, Drift } from '../../src/backend/driver-backend.js';
import { checkParameter, sameValue } from '../../src/backend/parameter-check.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };

export interface ConformanceSubject {
  readonly backend: DriverBackend;
  /** The nth value the driver is asked to write from now on fails. */
  failNthWrite(nth: number): Promise<void>;
  /** Sets the target's stepped parameter of one resource behind the backend's back. */
  driftStep(resource: string, value: number): Promise<void>;
  close(): Promise<void>;
}

type Refusal = [values: Record<string, unknown>, resources: readonly string[] | undefined, error: { code: string; path?: string }];

/** The driver a run drives and the values it uses. */
export interface ConformanceTarget {
  /** As the backend must declare it; without a version, any non-empty one. */
  readonly driver: Omit<DriverInfo, 'version'> & { readonly version?: string };
  /** Values that differ from `current` in every parameter, in the order they are applied. */
  otherThan(current: ParameterValues): Record<string, ParameterValue>;
  /** Applies that must be refused (changing nothing), built on otherThan's values. */
  refusals(next: Record<string, ParameterValue>): readonly Refusal[];
  /** An integer parameter that concurrent applies and drift change, by multiples of `by`. */
  readonly step: { readonly name: string; readonly by: number; readonly drift: readonly [number, number] };
}

const POWER = ['disabled', 'balanced', 'aggressive'];

/** pvnic as the kernel module declares it: the target of the simulated and kmod runs. */
export const pvnicTarget: ConformanceTarget = {
  driver: { id: pvnic.id, version: pvnic.version, resources: pvnic.resources, parameters: pvnic.parameters as DriverInfo['parameters'] },
  otherThan(current) {
    const set = ['gro', 'rx_checksum', 'tso'];
    return {
      interrupt_coalescence_time: current.interrupt_coalescence_time === 1_000_000 ? 3_000_000 : 1_000_000,
      DMA_buffer_size: current.DMA_buffer_size === 16_384 ? 32_768 : 16_384,
      power_saving_mode: POWER[(POWER.indexOf(current.power_saving_mode as string) + 1) % POWER.length]!,
      feature_set: sameValue(current.feature_set, set) ? ['sg'] : set,
    };
  },
  refusals: (next) => [
    [{ ...next, DMA_buffer_size: 1024 }, undefined, { code: 'E_RANGE', path: 'pvnic/DMA_buffer_size' }],
    [{ ...next, DMA_buffer_size: 4_194_305 }, undefined, { code: 'E_RANGE', path: 'pvnic/DMA_buffer_size' }],
    [{ ...next, interrupt_coalescence_time: 100_000_001 }, undefined, { code: 'E_RANGE', path: 'pvnic/interrupt_coalescence_time' }],
    [{ ...next, interrupt_coalescence_time: 1.5 }, undefined, { code: 'E_RANGE' }],
    [{ ...next, power_saving_mode: 'turbo' }, undefined, { code: 'E_RANGE', path: 'pvnic/power_saving_mode' }],
    [{ ...next, feature_set: ['tso', 'warp'] }, undefined, { code: 'E_RANGE', path: 'pvnic/feature_set' }],
    [{ ...next, feature_set: 'tso' }, undefined, { code: 'E_RANGE' }],
    [{ ...next, mtu: 1500 }, undefined, { code: 'E_PARAMETER', path: 'pvnic/mtu' }],
    [next, ['pvnic0', 'pvnic7'], { code: 'E_RESOURCE', path: 'pvnic/pvnic7' }],
  ],
  step: { name: 'interrupt_coalescence_time', by: 1000, drift: [7_000_000, 9_000_000] },
};

async function generation(backend: DriverBackend, driverId: string): Promise<number> {
  return (await backend.apply(driverId, {})).generation;
}

export function backendConformance(t: Test, open: () => Promise<ConformanceSubject>, target: ConformanceTarget = pvnicTarget): void {
  const DRIVER = target.driver.id;
  const [first, second] = target.driver.resources as [string, string];
  // The declaration lists them in the order they are applied.
  const NAMES = Object.keys(target.driver.parameters);
  const STEP = target.step.name;
  const readAll = (backend: DriverBackend): Record<string, ParameterValues> => Object.fromEntries(target.driver.resources.map((r) => [r, backend.read(DRIVER, r)]));

  const withSubject = (name: string, body: (t: Test, s: ConformanceSubject) => Promise<void>): void => {
    void t.test(name, async (t) => {
      const subject = await open();
      t.teardown(() => subject.close());
      await body(t, subject);
    });
  };

  withSubject(`declares ${DRIVER} as expected`, async (t, { backend }) => {
    const driver = backend.drivers().find((d) => d.id === DRIVER);
    if (!t.ok(driver, `${DRIVER} is listed`) || !driver) return;
    const { id, version, resources, parameters } = driver;
    t.same({ id, resources, parameters }, { id: target.driver.id, resources: target.driver.resources, parameters: target.driver.parameters });
    if (target.driver.version !== undefined) t.equal(version, target.driver.version);
    else t.ok(version.length > 0, `version ${version}`);
  });

  withSubject('reads normalised values of every resource', async (t, { backend }) => {
    for (const [resource, values] of Object.entries(readAll(backend))) {
      t.same(Object.keys(values).sort(), [...NAMES].sort(), `${resource}: every parameter`);
      for (const [name, value] of Object.entries(values)) {
        const spec = target.driver.parameters[name];
        t.doesNotThrow(() => checkParameter(spec, value, name), `${resource}: ${name} ${JSON.stringify(value)} within its declaration`);
        if (spec?.type === 'set') t.same(value, [...(value as string[])].sort(), `${resource}: ${name} is sorted`);
      }
    }
    t.throws(() => backend.read(DRIVER, 'nosuchdevice0'), { code: 'E_RESOURCE' });
    t.throws(() => backend.read('nope'), { code: 'E_DRIVER' });
  });

  withSubject('applies every value to every resource, reports each change and reads it back', async (t, { backend }) => {
    const g0 = await generation(backend, DRIVER);
    const before = readAll(backend);
    const next = target.otherThan(before[first]!);
    const r = await backend.apply(DRIVER, next);
    const expected = target.driver.resources.flatMap((resource) =>
      NAMES.filter((name) => !sameValue(before[resource]![name], next[name]!)).map((name) => ({ resource, name, from: before[resource]![name], to: next[name] })),
    );
    t.same(r.changes, expected);
    t.equal(r.driverId, DRIVER);
    t.equal(r.generation, g0 + 1, 'one generation per apply');
    t.ok(r.durationMs >= 0);
    for (const resource of target.driver.resources) t.same(backend.read(DRIVER, resource), next, `${resource} reads back`);
  });

  withSubject('an apply naming one resource leaves the others', async (t, { backend }) => {
    const before = readAll(backend);
    const next = { [STEP]: (before[second]![STEP] as number) + target.step.by };
    const r = await backend.apply(DRIVER, next, [second]);
    t.same(r.changes, [{ resource: second, name: STEP, from: before[second]![STEP], to: next[STEP] }]);
    t.same(backend.read(DRIVER, first), before[first], `${first} is untouched`);
  });

  withSubject('an apply that changes nothing keeps the generation', async (t, { backend }) => {
    const g0 = await generation(backend, DRIVER);
    const r = await backend.apply(DRIVER, backend.read(DRIVER));
    t.same(r.changes.filter((c) => c.resource === first), [], `nothing changed on ${first}`);
    const again = await backend.apply(DRIVER, backend.read(DRIVER), [first]);
    t.same(again.changes, []);
    t.equal(again.generation, r.generation, 'no change, no new generation');
    t.ok(r.generation >= g0);
  });

  withSubject('a refused value or resource anywhere changes nothing', async (t, { backend }) => {
    const g0 = await generation(backend, DRIVER);
    const before = readAll(backend);
    const next = target.otherThan(before[first]!);
    for (const [values, resources, error] of target.refusals(next)) {
      await t.rejects(backend.apply(DRIVER, values as ParameterValues, resources), error, JSON.stringify(values));
    }
    await t.rejects(backend.apply('nope', next), { code: 'E_DRIVER' });
    t.same(readAll(backend), before, 'every resource as before');
    t.equal(await generation(backend, DRIVER), g0, 'the generation as before');
  });

  withSubject('a driver failure at any position rolls every value back', async (t, s) => {
    const { backend } = s;
    for (let k = 1; k <= NAMES.length; k++) {
      const g0 = await generation(backend, DRIVER);
      const before = readAll(backend);
      await s.failNthWrite(k);
      await t.rejects(backend.apply(DRIVER, target.otherThan(before[first]!), [first]), { code: 'E_DRIVER', path: `${DRIVER}/${NAMES[k - 1]}` }, `failure at write ${k}`);
      t.same(readAll(backend), before, `failure at write ${k}: every value restored`);
      t.equal(await generation(backend, DRIVER), g0, `failure at write ${k}: no new generation`);
    }
  });

  withSubject('a failure on the second resource rolls the first back too', async (t, s) => {
    const { backend } = s;
    await backend.apply(DRIVER, backend.read(DRIVER, first));
    const g0 = await generation(backend, DRIVER);
    const before = readAll(backend);
    await s.failNthWrite(NAMES.length + 2);
    await t.rejects(backend.apply(DRIVER, target.otherThan(before[first]!)), { code: 'E_DRIVER', path: `${DRIVER}/${NAMES[1]}` });
    t.same(readAll(backend), before, 'both resources restored');
    t.equal(await generation(backend, DRIVER), g0);
  });

  withSubject('generations rise by one per changing apply, concurrent applies included', async (t, { backend }) => {
    const g0 = await generation(backend, DRIVER);
    const base = backend.read(DRIVER, first)[STEP] as number;
    const by = target.step.by;
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => backend.apply(DRIVER, { [STEP]: base + i * by }, [first])));
    t.same(results.map((r) => r.generation), [g0 + 1, g0 + 2, g0 + 3, g0 + 4, g0 + 5]);
    t.same(results.map((r) => r.changes[0]?.from), [base, base + by, base + 2 * by, base + 3 * by, base + 4 * by], 'each saw the one before');
    t.equal(backend.read(DRIVER, first)[STEP], base + 5 * by);
  });

  withSubject('a change behind its back is reported as drift and read', async (t, s) => {
    const { backend } = s;
    const g0 = await generation(backend, DRIVER);
    const current = backend.read(DRIVER, second)[STEP];
    const [a, b] = target.step.drift;
    const drifted = current === a ? b : a;
    const seen = new Promise<Drift>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no drift reported within 5 s')), 5000);
      const off = backend.onDrift((drift) => {
        clearTimeout(timer);
        off();
        resolve(drift);
      });
    });
    await s.driftStep(second, drifted);
    t.same(await seen, { driverId: DRIVER, resources: [second], parameters: [STEP], generation: g0 + 1 });
    t.equal(backend.read(DRIVER, second)[STEP], drifted);
    const r = await backend.apply(DRIVER, { [STEP]: drifted + target.step.by }, [second]);
    t.same(r.changes, [{ resource: second, name: STEP, from: drifted, to: drifted + target.step.by }], 'the next apply starts from the drifted value');
    t.equal(r.generation, g0 + 2);
  });
}
