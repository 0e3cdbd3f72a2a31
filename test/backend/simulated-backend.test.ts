import t from 'tap';
import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };

const make = () => new SimulatedBackend([pvnic as unknown as SimulatedDriver]);

void t.test('reports itself as simulated and lists its driver', async (t) => {
  const backend = make();
  t.equal(backend.kind, 'simulated');
  t.same(backend.drivers().map((d) => [d.id, d.version, d.resources]), [['pvnic', '1.0.0', ['pvnic0', 'pvnic1']]]);
  t.same(backend.read('pvnic'), pvnic.initial);
});

void t.test('apply changes only what differs and bumps the generation', async (t) => {
  const backend = make();
  const r = await backend.apply('pvnic', { interrupt_coalescence_time: 4_000_000, power_saving_mode: 'balanced' });
  t.same(r.changes, [
    { resource: 'pvnic0', name: 'interrupt_coalescence_time', from: 2_000_000, to: 4_000_000 },
    { resource: 'pvnic1', name: 'interrupt_coalescence_time', from: 2_000_000, to: 4_000_000 },
  ]);
  t.equal(r.generation, 1);
  t.equal(backend.read('pvnic').interrupt_coalescence_time, 4_000_000);
  const again = await backend.apply('pvnic', { interrupt_coalescence_time: 4_000_000 });
  t.same(again.changes, []);
  t.equal(again.generation, 1, 'no change, no new generation');
});

void t.test('a bad value anywhere changes nothing', async (t) => {
  const backend = make();
  const before = backend.read('pvnic');
  const cases: Array<[Record<string, unknown>, { code: string; path?: string; message?: RegExp }]> = [
    [{ interrupt_coalescence_time: 1_000_000, DMA_buffer_size: 1024 }, { code: 'E_RANGE', path: 'pvnic/DMA_buffer_size' }],
    [{ power_saving_mode: 'turbo' }, { code: 'E_RANGE', message: /one of disabled, balanced, aggressive/ }],
    [{ feature_set: ['tso', 'warp'] }, { code: 'E_RANGE', message: /unsupported: warp/ }],
    [{ feature_set: 'tso' }, { code: 'E_RANGE', message: /must be a list/ }],
    [{ interrupt_coalescence_time: 1.5 }, { code: 'E_RANGE', message: /integer/ }],
    [{ DMA_buffer_size: 65536, mtu: 1500 }, { code: 'E_PARAMETER', path: 'pvnic/mtu' }],
  ];
  for (const [values, error] of cases) {
    await t.rejects(backend.apply('pvnic', values as never), error, JSON.stringify(values));
    t.same(backend.read('pvnic'), before);
  }
  await t.rejects(backend.apply('nope', {}), { code: 'E_DRIVER' });
});

void t.test('resources are separate devices; an apply can name some of them', async (t) => {
  const backend = make();
  const r = await backend.apply('pvnic', { power_saving_mode: 'aggressive' }, ['pvnic1']);
  t.same(r.changes, [{ resource: 'pvnic1', name: 'power_saving_mode', from: 'balanced', to: 'aggressive' }]);
  t.equal(backend.read('pvnic', 'pvnic1').power_saving_mode, 'aggressive');
  t.equal(backend.read('pvnic').power_saving_mode, 'balanced', 'pvnic0, the first, is untouched');
  await t.rejects(backend.apply('pvnic', { power_saving_mode: 'disabled' }, ['pvnic0', 'pvnic7']), { code: 'E_RESOURCE', path: 'pvnic/pvnic7' });
  t.equal(backend.read('pvnic', 'pvnic0').power_saving_mode, 'balanced', 'an unknown resource changes nothing, on any resource');
  t.throws(() => backend.read('pvnic', 'eth0'), { code: 'E_RESOURCE' });
});
