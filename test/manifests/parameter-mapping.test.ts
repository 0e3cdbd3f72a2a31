import t from 'tap';
import { join } from 'node:path';
import simulatedPvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import mappingSchema from '../../manifests/schema/mapping.schema.json' with { type: 'json' };
import personalitySchema from '../../manifests/schema/personality.schema.json' with { type: 'json' };
import { DocumentError } from '../../src/common/schema.js';
import { ParameterMapping } from '../../src/manifests/parameter-mapping.js';
import { MAPPING_TEXT } from './fixtures/signing.js';
import { packageRoot } from '../../src/common/package-root.js';

const PVNIC = join(packageRoot(), 'manifests/drivers/pvnic/mapping.json');
const mapping = ParameterMapping.load(PVNIC, 'pvnic');

void t.test('the pvnic mapping allows exactly what the simulated pvnic driver declares', (t) => {
  const resolved = mapping.resolve(new Map([
    ['interrupt_coalescence_time', { value: 0, from: 'x' }],
    ['DMA_buffer_size', { value: 4096, from: 'x' }],
    ['power_saving_mode', { value: 'balanced', from: 'x' }],
    ['feature_set', { value: ['gro'], from: 'x' }],
  ]));
  const { parameters: driver } = simulatedPvnic;
  t.strictSame(resolved.map((r) => [r.name, r.driverParameter, r.apply, r.order]), [
    ['interrupt_coalescence_time', 'rx-usecs', 'runtime', 1],
    ['DMA_buffer_size', 'rx-buf-len', 'disruptive', 2],
    ['power_saving_mode', 'power_mode', 'runtime', 3],
    ['feature_set', 'priv-flags', 'runtime', 4],
  ]);
  const ok = (name: string, value: number | string | string[]): void => {
    t.doesNotThrow(() => mapping.check({ [name]: value }, 'm'), `${name} ${String(value)}`);
  };
  const out = (name: string, value: number | string | string[]): void => {
    t.throws(() => mapping.check({ [name]: value }, 'm'), { code: 'E_MAPPING' }, `${name} ${String(value)}`);
  };
  ok('interrupt_coalescence_time', driver.interrupt_coalescence_time.min);
  ok('interrupt_coalescence_time', driver.interrupt_coalescence_time.max);
  out('interrupt_coalescence_time', driver.interrupt_coalescence_time.max + 1000);
  ok('DMA_buffer_size', driver.DMA_buffer_size.min);
  ok('DMA_buffer_size', driver.DMA_buffer_size.max);
  out('DMA_buffer_size', driver.DMA_buffer_size.min - 1);
  out('DMA_buffer_size', driver.DMA_buffer_size.max + 1);
  for (const value of driver.power_saving_mode.values) ok('power_saving_mode', value);
  ok('feature_set', driver.feature_set.values);
  out('feature_set', [...driver.feature_set.values, 'turbo']);
  t.end();
});

void t.test('driver values are in the driver unit', (t) => {
  const [coalescing, dma] = mapping.resolve(new Map([
    ['DMA_buffer_size', { value: 262_144, from: 'highway' }],
    ['interrupt_coalescence_time', { value: 4_000_000, from: 'safe' }],
  ]));
  t.match(coalescing, { name: 'interrupt_coalescence_time', driverValue: 4000, driverUnit: 'us', allowed: '0us..100ms', from: 'safe' });
  t.match(dma, { name: 'DMA_buffer_size', driverValue: 262_144, driverUnit: 'B', allowed: '4KB..4MB', from: 'highway' });
  t.end();
});

void t.test('check names the manifest, the parameter and the reason', (t) => {
  const narrow = JSON.parse(MAPPING_TEXT) as { parameters: Record<string, unknown> };
  delete narrow.parameters.power_saving_mode;
  const dir = t.testdir({ 'mapping.json': JSON.stringify(narrow) });
  const small = ParameterMapping.load(join(dir, 'mapping.json'), 'pvnic');
  t.throws(() => small.check({ power_saving_mode: 'balanced' }, 'm.dsse.json'), {
    code: 'E_MAPPING',
    file: 'm.dsse.json',
    path: '/parameters/power_saving_mode',
    text: `driver pvnic has no such parameter (${join(dir, 'mapping.json')})`,
  });
  t.throws(() => mapping.check({ power_saving_mode: 'off' }, 'm'), { code: 'E_MAPPING', text: '"off" is not one of disabled|balanced|aggressive' });
  t.throws(() => mapping.check({ power_saving_mode: 3 }, 'm'), { code: 'E_MAPPING', text: '3 is not a enum' });
  t.end();
});

void t.test('a bad mapping lists every problem', (t) => {
  const bad = JSON.parse(MAPPING_TEXT) as { driver: string; parameters: Record<string, Record<string, unknown>> };
  bad.driver = 'other';
  Object.assign(bad.parameters.interrupt_coalescence_time ?? {}, { min: '1ns', max: '99999999999999999s' });
  Object.assign(bad.parameters.feature_set ?? {}, { driverParameter: 'power_mode' });
  bad.parameters.mtu = {};
  const dir = t.testdir({ 'schema.json': JSON.stringify(bad), 'semantic.json': JSON.stringify({ ...bad, parameters: { ...bad.parameters, mtu: undefined } }) });
  const schemaError = t.throws(() => ParameterMapping.load(join(dir, 'schema.json'), 'pvnic')) as DocumentError;
  t.ok(schemaError instanceof DocumentError);
  t.match(schemaError.problems, [{ path: '/parameters/mtu', message: 'unknown key' }]);
  const semanticError = t.throws(() => ParameterMapping.load(join(dir, 'semantic.json'), 'pvnic')) as DocumentError;
  t.strictSame(semanticError.problems.map((p) => [p.path, p.message]), [
    ['/driver', 'is "other", but the folder is "pvnic"'],
    ['/parameters/interrupt_coalescence_time/min', 'is not a whole number of us'],
    ['/parameters/interrupt_coalescence_time/max', '"99999999999999999s": duration exceeds 9007199254740991'],
    ['/parameters/feature_set/driverParameter', 'is also the driver parameter of power_saving_mode'],
  ]);
  t.end();
});

void t.test('the mapping schema and the personality schema agree on parameters, units and values', (t) => {
  const { properties: personality, $defs: personalityDefs } = personalitySchema;
  t.strictSame(Object.keys(mappingSchema.properties.parameters.properties), Object.keys(personality.parameters.properties));
  t.equal(mappingSchema.$defs.duration.pattern, personalityDefs.duration.pattern);
  t.equal(mappingSchema.$defs.size.pattern, personalityDefs.size.pattern);
  t.strictSame(mappingSchema.$defs.enumMapping.properties.values.items.enum, personality.parameters.properties.power_saving_mode.enum);
  t.equal(mappingSchema.$defs.setMapping.properties.values.items.pattern, personalityDefs.identifier.pattern);
  t.end();
});
