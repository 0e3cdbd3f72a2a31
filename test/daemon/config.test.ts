import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { COMMAND_LINE, loadConfig } from '../../src/daemon/config.js';

const root = packageRoot();

void t.test('defaults come from the schema, with paths inside the package', async (t) => {
  const cwd = t.testdir();
  const config = loadConfig({ cwd });
  t.same(config, {
    ecuId: 'demo-ecu',
    broker: 'embedded',
    embeddedBrokerPort: 1883,
    apiClients: [],
    apiRoles: {},
    can: `replay:${join(root, 'vehicles/demo/drive.log')}`,
    speed: 1,
    loop: true,
    httpControl: false,
    httpAllowedHosts: [],
    vehicle: join(root, 'vehicles/demo'),
    statechart: join(root, 'statecharts/driving-context.json'),
    policy: join(root, 'manifests/policy.json'),
    manifests: join(root, 'manifests'),
    trust: join(root, 'manifests/trust'),
    manifestState: join(root, 'state/manifest-state.json'),
    holdState: join(root, 'state/holds.json'),
    maxHolds: 32,
    presenceLeaseSeconds: 3600,
    backend: 'auto',
    namespacePollMs: 2000,
    instanceStaleMs: 60000,
    onDrift: 'reassert',
    sampleIntervalMs: 100,
    workloadIntervalMs: 1000,
    logLevel: 'info',
  });
});

void t.test('the file overrides defaults with paths relative to it; flags override the file', async (t) => {
  const cwd = t.testdir({ etc: { 'persona.config.json': JSON.stringify({ ecuId: 'ecu-7', can: 'replay:logs/a.log', speed: 4 }) } });
  const config = loadConfig({ cwd, file: 'etc/persona.config.json', overrides: { speed: 0, broker: 'mqtt://10.0.0.2:1883' } });
  t.equal(config.ecuId, 'ecu-7');
  t.equal(config.can, `replay:${join(cwd, 'etc/logs/a.log')}`);
  t.equal(config.speed, 0);
  t.equal(config.broker, 'mqtt://10.0.0.2:1883');
  t.equal(loadConfig({ cwd, overrides: { namespace: 'dir:ns' } }).namespace, `dir:${join(cwd, 'ns')}`, 'a dir: namespace is a path too');
  t.equal(loadConfig({ cwd, file: 'etc/persona.config.json', overrides: { holdState: 'run/holds.json' } }).holdState, join(cwd, 'run/holds.json'), 'holdState is a path, like manifestState');
});

void t.test('persona.config.json in the working folder is read without --config', async (t) => {
  const cwd = t.testdir({ 'persona.config.json': JSON.stringify({ ecuId: 'local' }) });
  t.equal(loadConfig({ cwd }).ecuId, 'local');
});

void t.test('three mistakes are all reported with file and JSON path', async (t) => {
  const cwd = t.testdir();
  const file = join(cwd, 'persona.config.json');
  writeFileSync(file, JSON.stringify({ ecuID: 'x', speed: 'fast', broker: 'tcp://somewhere' }, null, 2));
  t.throws(() => loadConfig({ cwd, file }), {
    code: 'E_DOCUMENT',
    problems: [
      { file, path: '/ecuID', message: 'unknown key' },
      { file, path: '/broker', message: 'must match pattern "^(embedded|mqtts?://[^\\s]+)$"' },
      { file, path: '/speed', message: 'must be number' },
    ],
  });
});

void t.test('bad flags are reported by flag name, together with file problems', async (t) => {
  const cwd = t.testdir({ 'persona.config.json': '{"logLevel": "loud"}' });
  t.throws(() => loadConfig({ cwd, overrides: { speed: -2, ecuId: 'a/b' } }), {
    code: 'E_DOCUMENT',
    problems: [
      { file: join(cwd, 'persona.config.json'), path: '/logLevel', message: 'must be one of "error", "warn", "info", "debug"' },
      { file: COMMAND_LINE, path: '--ecu-id', message: 'must match pattern "^[A-Za-z0-9_-]{1,64}$"' },
      { file: COMMAND_LINE, path: '--speed', message: 'must be >= 0' },
    ],
  });
});

void t.test('the shared namespace: fleet is no ECU id, and a namespace is mqtt or dir:<folder>', async (t) => {
  const cwd = t.testdir();
  t.throws(() => loadConfig({ cwd, overrides: { namespace: 'ftp://host/ns' } }), {
    code: 'E_DOCUMENT',
    problems: [{ file: COMMAND_LINE, path: '--namespace', message: 'must match pattern "^(mqtt|dir:.+)$"' }],
  });
  t.throws(() => loadConfig({ cwd, overrides: { ecuId: 'fleet' } }), { code: 'E_DOCUMENT', problems: [{ file: COMMAND_LINE, path: '--ecu-id', message: '"fleet" is taken by the shared namespace (persona/fleet/)' }] });
  t.equal(loadConfig({ cwd, overrides: { ecuId: 'fleet-7', namespace: 'mqtt' } }).namespace, 'mqtt');
  writeFileSync(join(cwd, 'persona.config.json'), '{"ecuId": "fleet"}');
  t.throws(() => loadConfig({ cwd }), { code: 'E_DOCUMENT', problems: [{ file: join(cwd, 'persona.config.json'), path: '/ecuId', message: '"fleet" is taken by the shared namespace (persona/fleet/)' }] });
});

void t.test('a missing --config file or broken JSON is an error, not a silent default', async (t) => {
  const cwd = t.testdir({ 'broken.json': '{"ecuId": ' });
  t.throws(() => loadConfig({ cwd, file: 'nope.json' }), { code: 'E_DOCUMENT', problems: [{ file: join(cwd, 'nope.json'), path: '', message: 'file not found' }] });
  t.throws(() => loadConfig({ cwd, file: 'broken.json' }), { code: 'E_DOCUMENT', problems: [{ file: join(cwd, 'broken.json'), path: '', message: /^invalid JSON: / }] });
});
