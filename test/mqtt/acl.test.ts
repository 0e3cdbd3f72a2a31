import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { packageRoot } from '../../src/common/package-root.js';
import { startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';

const ACL = join(packageRoot(), 'docs/mosquitto.acl.example');

void t.test('the documented ACL: each client asks on its own topics and reads only its own answers, never writes state', async (t) => {
  const dir = t.testdir();
  const passwords = join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'persona', 'daemon-secret']);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'infotainment', 'hu-secret']);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'media', 'media-secret']);
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwords}`, `acl_file ${ACL}`]);
  t.teardown(() => broker.stop());

  await startLiveDaemon(t, broker.url, 'demo-ecu', [{ seconds: 2, speedKmh: 0, gear: 126 }], { username: 'persona', password: 'daemon-secret' }, { apiClients: [{ client: 'infotainment', role: 'app' }, { client: 'media', role: 'app' }] });

  // Client ids are free: the ACL keys on the username the broker authenticated.
  const hu = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'hu-1', username: 'infotainment', password: 'hu-secret', reconnectPeriod: 0 });
  const media = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'media-1', username: 'media', password: 'media-secret', reconnectPeriod: 0 });
  t.teardown(() => Promise.all([hu.endAsync(), media.endAsync()]));
  const seen: string[] = [];
  hu.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString().slice(0, 40)}`));
  const overheard: string[] = [];
  media.on('message', (topic) => overheard.push(topic));
  await hu.subscribeAsync(['persona/demo-ecu/state/context', 'persona/demo-ecu/client/infotainment/response/+'], { qos: 1 });
  await media.subscribeAsync(['persona/demo-ecu/client/infotainment/#', 'persona/demo-ecu/client/+/response/#'], { qos: 1 });
  await t.rejects(hu.publishAsync('persona/demo-ecu/state/context', JSON.stringify({ context: 'highway', forged: true }), { qos: 1, retain: true }), { code: 135 }, "the broker refuses the head unit's state publish: not authorized");
  await t.rejects(media.publishAsync('persona/demo-ecu/client/infotainment/request/select', '{"personality":"city","holdSeconds":60}', { qos: 1 }), { code: 135 }, "media may not send requests as the head unit");
  await t.rejects(media.publishAsync('persona/demo-ecu/client/infotainment/presence', 'offline', { qos: 1, retain: true }), { code: 135 }, "nor say the head unit went offline");
  const answered = new Promise<string>((resolve) => hu.on('message', (topic, payload) => topic.endsWith('/client/infotainment/response/select') && resolve(payload.toString())));
  await hu.publishAsync('persona/demo-ecu/client/infotainment/request/select', JSON.stringify({ transaction: 'acl', personality: 'city', holdSeconds: 60 }), { qos: 1 });
  const answer = JSON.parse(await answered) as { data?: { token?: string } };
  t.type(answer.data?.token, 'string', "the head unit's select is answered on its own topic, with the token");
  // A message media could read would have arrived before this one, on the same connection.
  const marker = new Promise<void>((resolve) => media.on('message', (topic) => topic === 'persona/demo-ecu/state/context' && resolve()));
  await media.subscribeAsync('persona/demo-ecu/state/context', { qos: 1 });
  await marker;
  t.same(overheard.filter((topic) => topic.includes('/client/')), [], "media overheard nothing of the head unit's topics: not the answer, not the token");
  t.notOk(seen.some((s) => s.includes('forged')), 'no forged state reached anyone');
  t.ok(seen.some((s) => s.startsWith('persona/demo-ecu/state/context {"context":"parked"')), 'the daemon’s own state arrives');
  await t.rejects(mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'infotainment', password: 'wrong', reconnectPeriod: 0 }), 'a wrong password is refused');
});

void t.test('the documented ACL: only the host agent writes the shared namespace', async (t) => {
  const dir = t.testdir();
  const passwords = join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'persona', 'daemon-secret']);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'persona-host', 'host-secret']);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'infotainment', 'hu-secret']);
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwords}`, `acl_file ${ACL}`]);
  t.teardown(() => broker.stop());
  const connect = (username: string, password: string) => mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: username, username, password, reconnectPeriod: 0 });
  const host = await connect('persona-host', 'host-secret');
  const daemon = await connect('persona', 'daemon-secret');
  const hu = await connect('infotainment', 'hu-secret');
  t.teardown(() => Promise.all([host, daemon, hu].map((c) => c.endAsync())));
  const topic = 'persona/fleet/personalities/pvnic/cockpit/highway';
  await host.publishAsync(topic, '{"payloadType":"x"}', { qos: 1, retain: true });
  await t.rejects(daemon.publishAsync(topic, 'forged', { qos: 1, retain: true }), { code: 135 }, 'an instance cannot write the namespace');
  await t.rejects(hu.publishAsync(topic, 'forged', { qos: 1, retain: true }), { code: 135 }, 'nor can the head unit');
  const read = new Promise<string>((resolve) => daemon.on('message', (_topic, payload) => resolve(payload.toString())));
  await daemon.subscribeAsync('persona/fleet/#', { qos: 1 });
  t.equal(await read, '{"payloadType":"x"}', "the instance reads the host's retained message, and nothing forged");
});
