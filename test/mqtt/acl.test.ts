import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { packageRoot } from '../../src/common/package-root.js';
import { startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';

const ACL = join(packageRoot(), 'docs/mosquitto.acl.example');

void t.test('the documented ACL: the head unit may ask and read, never write state', async (t) => {
  const dir = t.testdir();
  const passwords = join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'persona', 'daemon-secret']);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'infotainment', 'hu-secret']);
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwords}`, `acl_file ${ACL}`]);
  t.teardown(() => broker.stop());

  await startLiveDaemon(t, broker.url, 'demo-ecu', [{ seconds: 2, speedKmh: 0, gear: 126 }], { username: 'persona', password: 'daemon-secret' });

  const hu = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'infotainment', username: 'infotainment', password: 'hu-secret', reconnectPeriod: 0 });
  t.teardown(() => hu.endAsync());
  const seen: string[] = [];
  hu.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString().slice(0, 40)}`));
  await hu.subscribeAsync(['persona/demo-ecu/state/context', 'persona/demo-ecu/response/why'], { qos: 1 });
  await t.rejects(hu.publishAsync('persona/demo-ecu/state/context', JSON.stringify({ context: 'highway', forged: true }), { qos: 1, retain: true }), { code: 135 }, "the broker refuses the head unit's state publish: not authorized");
  const answered = new Promise<void>((resolve) => hu.on('message', (topic) => topic.endsWith('/response/why') && resolve()));
  await hu.publishAsync('persona/demo-ecu/request/why', JSON.stringify({ transaction: 'acl' }), { qos: 1 });
  await answered;
  t.notOk(seen.some((s) => s.includes('forged')), 'no forged state reached anyone');
  t.ok(seen.some((s) => s.startsWith('persona/demo-ecu/state/context {"context":"parked"')), 'the daemon’s own state arrives');
  t.ok(seen.some((s) => s.startsWith('persona/demo-ecu/response/why')), 'requests are allowed and answered');
  await t.rejects(mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'infotainment', password: 'wrong', reconnectPeriod: 0 }), 'a wrong password is refused');
});
