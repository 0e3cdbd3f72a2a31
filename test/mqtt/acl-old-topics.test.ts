import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { packageRoot } from '../../src/common/package-root.js';
import { startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';

const ACL = join(packageRoot(), 'docs/mosquitto.acl.example');

void t.test('the documented ACL lets a client still on the shared request topics of old reach persona and be told 410', async (t) => {
  const passwords = join(t.testdir(), 'passwords');
  execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'persona', 'daemon-secret']);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'infotainment', 'hu-secret']);
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwords}`, `acl_file ${ACL}`]);
  t.teardown(() => broker.stop());
  const daemon = await startLiveDaemon(t, broker.url, 'demo-ecu', [{ seconds: 2, speedKmh: 0, gear: 126 }], { username: 'persona', password: 'daemon-secret' });

  for (const protocolVersion of [5, 4] as const) {
    const old = await mqtt.connectAsync(broker.url, { protocolVersion, clientId: `old-${protocolVersion}`, username: 'infotainment', password: 'hu-secret', reconnectPeriod: 0 });
    t.teardown(() => old.endAsync());
    await old.subscribeAsync('persona/demo-ecu/response/+', { qos: 1 });
    const transaction = `old-${protocolVersion}`;
    const answered = new Promise<unknown>((resolve) => old.on('message', (topic, payload) => topic === 'persona/demo-ecu/response/select' && resolve(JSON.parse(payload.toString()))));
    // On MQTT v5 a publish the ACL refuses is answered PUBACK 135, which rejects here.
    await old.publishAsync('persona/demo-ecu/request/select', JSON.stringify({ transaction, personality: 'city', owner: 'infotainment', holdSeconds: 60 }), { qos: 1 });
    t.match(await answered, { status: 410, code: 'E_GONE', transaction, error: /client\/<client>\/request\/select/ }, `MQTT ${protocolVersion === 5 ? 'v5' : '3.1.1'}: 410 on response/select, naming the topic to use`);
  }
  t.same(daemon.holds(), [], 'and nothing was done');
});
