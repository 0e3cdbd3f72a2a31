import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { DocumentError } from '../../src/common/schema.js';
import { HostAgent } from '../../src/host/host-agent.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { demoSigned } from './fixtures/demo-signed.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string | (() => string)) => void lines.push(`${level} ${typeof m === 'string' ? m : m()}`);
  const logger: Logger = { error: push('error'), warn: push('warn'), info: push('info'), debug: () => {}, child: () => logger };
  return { logger, lines };
}

const config = (instances: object): string => JSON.stringify({ namespaceDir: 'ns', releases: 'releases', intervalMs: 1000, instances });

void t.test('writes each instance context and places each release where its signed payload says', async (t) => {
  const dir = t.testdir({
    'host.json': config({ 'cockpit-1': { role: 'cockpit', profile: 'cockpit', constrainedAbove: 50, limits: { vcpus: 2 } }, 'adas-1': { role: 'adas', resources: 'normal' } }),
    releases: {
      'highway-cockpit-v3.dsse.json': demoSigned('highway', { version: 3, instanceProfiles: ['cockpit'] }),
      'highway-cockpit-v2.dsse.json': demoSigned('highway', { version: 2, instanceProfiles: ['cockpit'] }),
      nested: { 'city.dsse.json': demoSigned('city', { version: 4 }) },
      'README.dsse.json': 'not an envelope',
    },
  });
  const { logger, lines } = recorder();
  let pressure: number | null = 70;
  const agent = new HostAgent(join(dir, 'host.json'), { logger, clock: new SimulatedClock(), now: () => NOW, pressure: () => pressure });
  await agent.tick();
  const context = (id: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'ns/instances', id, 'context.json'), 'utf8')) as Record<string, unknown>;
  t.strictSame(context('cockpit-1'), { format: 1, instance: 'cockpit-1', role: 'cockpit', resources: 'constrained', hostPressure: 70, updated: '2026-12-01T10:00:00.000Z', limits: { vcpus: 2 } }, 'auto: constrained above 50 %');
  t.match(context('adas-1'), { role: 'adas', resources: 'normal', hostPressure: 70 });
  t.equal(readFileSync(join(dir, 'ns/personalities/pvnic/cockpit/highway.dsse.json'), 'utf8'), readFileSync(join(dir, 'releases/highway-cockpit-v3.dsse.json'), 'utf8'), 'the higher version of one place');
  t.equal(readFileSync(join(dir, 'ns/personalities/pvnic/city.dsse.json'), 'utf8'), readFileSync(join(dir, 'releases/nested/city.dsse.json'), 'utf8'), 'generic: for every profile');
  t.match(lines.filter((l) => l.startsWith('warn')), [/skipped .*README\.dsse\.json.*\[E_JSON\]/]);
  pressure = null;
  await agent.tick();
  t.match(context('cockpit-1'), { resources: 'normal', hostPressure: null }, 'no pressure reading: not constrained by it');
  t.end();
});

void t.test('an edited configuration is taken on the next round; a bad edit is reported and the one in force stays', async (t) => {
  const dir = t.testdir({ 'host.json': config({ 'cockpit-1': { role: 'cockpit', resources: 'normal' } }), releases: {} });
  const file = join(dir, 'host.json');
  const { logger, lines } = recorder();
  const agent = new HostAgent(file, { logger, clock: new SimulatedClock(), now: () => NOW, pressure: () => 5 });
  const resources = (): unknown => (JSON.parse(readFileSync(join(dir, 'ns/instances/cockpit-1/context.json'), 'utf8')) as { resources: string }).resources;
  await agent.tick();
  t.equal(resources(), 'normal');
  writeFileSync(file, config({ 'cockpit-1': { role: 'cockpit', resources: 'scarce' } }));
  utimesSync(file, new Date(NOW + 1000), new Date(NOW + 1000));
  await agent.tick();
  t.equal(resources(), 'normal');
  t.match(lines.filter((l) => l.startsWith('error')), [/host\.json changed but is invalid, the configuration in force stays:\n.*host\.json: \/instances\/cockpit-1\/resources: must be one of "normal", "constrained", "auto"/]);
  writeFileSync(file, config({ 'cockpit-1': { role: 'cockpit', resources: 'constrained' } }));
  utimesSync(file, new Date(NOW + 2000), new Date(NOW + 2000));
  await agent.tick();
  t.equal(resources(), 'constrained');
  t.end();
});

void t.test('a configuration without a namespace to write to is refused at start', (t) => {
  const dir = t.testdir({ 'host.json': JSON.stringify({ releases: 'r', instances: { a: { role: 'batch' } } }) });
  t.throws(() => new HostAgent(join(dir, 'host.json'), { logger: silentLogger, clock: new SimulatedClock(), pressure: () => null }), new DocumentError([{ file: join(dir, 'host.json'), path: '', message: 'needs namespaceDir or broker (or both): somewhere to distribute to' }]));
  t.end();
});

void t.test('a broker that is down holds nothing up: the folder is written, and the broker gets everything once it is up', async (t) => {
  const port = await freePort();
  const dir = t.testdir({ releases: { 'highway.dsse.json': demoSigned('highway', { version: 3, instanceProfiles: ['cockpit'] }) } });
  writeFileSync(join(dir, 'host.json'), JSON.stringify({ namespaceDir: 'ns', broker: `mqtt://127.0.0.1:${port}`, releases: 'releases', instances: { 'cockpit-1': { role: 'cockpit' } } }));
  const { logger, lines } = recorder();
  const agent = new HostAgent(join(dir, 'host.json'), { logger, clock: new SimulatedClock(), now: () => NOW, pressure: () => null });
  t.teardown(() => agent.stop());
  await agent.start();
  await agent.tick();
  t.ok(readFileSync(join(dir, 'ns/personalities/pvnic/cockpit/highway.dsse.json')).length > 0, 'the folder is served');
  t.match(lines.filter((l) => l.startsWith('warn')), [/127\.0\.0\.1:\d+ is unreachable: contexts and releases are published once it is back/], 'said once over two rounds');
  const broker = await startMosquitto([], port);
  t.teardown(() => broker.stop());
  const reader = await MqttRecorder.connect(broker.url, ['persona/fleet/#']);
  t.teardown(() => reader.close());
  const release = await reader.waitFor((m) => m.topic === 'persona/fleet/personalities/pvnic/cockpit/highway');
  t.equal(release.retain, true);
  t.equal(release.text, readFileSync(join(dir, 'releases/highway.dsse.json'), 'utf8'));
  t.ok(await reader.waitFor((m) => m.topic === 'persona/fleet/instances/cockpit-1/context'));
});
