import t from 'tap';
import mqtt, { type MqttClient } from 'mqtt';
import { startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';

const ROOT = 'persona/untrusted';
type Answer = { status: number; transaction?: string; data?: unknown; error?: string; path?: string };

/** Sends a v5 request (raw bytes) with a response topic and correlation data, and waits for its answer. */
function askV5(client: MqttClient, action: string, payload: Buffer | string, correlation: string): Promise<Answer> {
  return new Promise((resolve) => {
    const topic = `test/answers/${correlation}`;
    const onMessage = (got: string, answer: Buffer, packet: mqtt.IPublishPacket) => {
      if (got !== topic || packet.properties?.correlationData?.toString() !== correlation) return;
      client.off('message', onMessage);
      resolve(JSON.parse(answer.toString()) as Answer);
    };
    client.on('message', onMessage);
    void client.subscribeAsync(topic, { qos: 1 }).then(() => client.publishAsync(`${ROOT}/request/${action}`, payload, { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from(correlation) } }));
  });
}

void t.test('untrusted requests: unknown actions, empty payloads, and the transaction of a 3.1.1 answer', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/#`]);
  t.teardown(() => recorder.close());
  const daemon = await startLiveDaemon(t, broker.url, 'untrusted');
  await recorder.waitFor((m) => m.topic === `${ROOT}/state/context` && m.text.includes('"city"'));
  const v5 = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'head-unit', reconnectPeriod: 0 });
  t.teardown(() => v5.endAsync());
  const v4 = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'diag-tool', reconnectPeriod: 0 });
  t.teardown(() => v4.endAsync());
  await v4.subscribeAsync(`${ROOT}/response/+`, { qos: 1 });
  /** Publishes a 3.1.1 request and resolves with the next answer on response/<action>. */
  const askV4 = (action: string, payload: Buffer | string): Promise<Answer> => {
    const answered = new Promise<Answer>((resolve) => {
      const onMessage = (topic: string, answer: Buffer) => {
        if (topic !== `${ROOT}/response/${action}`) return;
        v4.off('message', onMessage);
        resolve(JSON.parse(answer.toString()) as Answer);
      };
      v4.on('message', onMessage);
    });
    return v4.publishAsync(`${ROOT}/request/${action}`, payload, { qos: 1 }).then(() => answered);
  };

  await t.test('every Object.prototype name is an unknown action, like any other', async (t) => {
    const names = [...Object.getOwnPropertyNames(Object.prototype), 'fly', 'Select'];
    for (const [i, name] of names.entries()) {
      const answer = await askV5(v5, name, '{}', `u${i}`);
      t.same(answer, { status: 404, error: `unknown action "${name}"; actions: select, release, reload, why, list` }, `request/${name}`);
    }
    t.same(daemon.holds(), [], 'nothing changed');
  });

  await t.test('an empty payload is refused and does nothing (an empty retained publish clears a retained request)', async (t) => {
    await recorder.sync();
    const before = recorder.messages.length;
    t.same(await askV5(v5, 'reload', Buffer.alloc(0), 'empty-v5'), { status: 400, error: 'empty payload: a request is a JSON object, {} at least; nothing was done', path: '' });
    t.same(await askV4('why', ''), { status: 400, error: 'empty payload: a request is a JSON object, {} at least; nothing was done', path: '' }, 'over 3.1.1 too, where the retain flag of a clearing publish is lost');
    await recorder.sync();
    const after = recorder.messages.slice(before).map((m) => m.topic);
    t.notOk(after.includes(`${ROOT}/event/manifest`), 'no reload happened');
    t.same(
      after.filter((topic) => topic === `${ROOT}/event/rejected`),
      [`${ROOT}/event/rejected`, `${ROOT}/event/rejected`],
      'both are reported on event/rejected',
    );
  });

  await t.test('a 3.1.1 answer carries the transaction wherever it can be read safely', async (t) => {
    const padding = 'x'.repeat(20_000);
    const overCap = (payload: string) => `payload of ${Buffer.byteLength(payload)} bytes is over the 16384-byte cap`;
    let payload = JSON.stringify({ transaction: 'big-1', personality: padding, owner: 'diag-tool' });
    t.same(await askV4('select', payload), { status: 400, error: overCap(payload), transaction: 'big-1' }, 'over the cap: from the first member, read within the first bytes only');
    payload = ` \n{ "transaction" : "big-\\u00e9\\"2", "personality": "${padding}"}`;
    t.same(await askV4('select', payload), { status: 400, error: overCap(payload), transaction: 'big-é"2' }, 'JSON whitespace and escapes as JSON has them');
    payload = JSON.stringify({ personality: padding, transaction: 'big-3' });
    t.same(await askV4('select', payload), { status: 400, error: overCap(payload) }, 'over the cap and not the first member: none (the rest is never read)');
    payload = `{"transaction":"${'t'.repeat(65)}","personality":"${padding}"}`;
    t.same(await askV4('select', payload), { status: 400, error: overCap(payload) }, 'over the cap with a transaction longer than a transaction may be: none');
    payload = `{"transaction":"big-4\u0001","personality":"${padding}"}`;
    t.same(await askV4('select', payload), { status: 400, error: overCap(payload) }, 'over the cap with a control character in the string (not JSON): none');
    t.same(await askV4('select', '{"transaction":"bad-1","personality":'), { status: 400, error: 'invalid JSON: Unexpected end of JSON input', path: '' }, 'not JSON: none, even from a first member');
    t.same(await askV4('select', '["transaction","bad-2"]'), { status: 400, error: 'must be a JSON object', path: '' }, 'not an object: none');
    t.match(await askV4('select', JSON.stringify({ transaction: 'bad-3', personality: 'city', owner: 'diag-tool', priority: 'high' })), { status: 400, path: '/priority', transaction: 'bad-3' }, 'a field wrong: the transaction is echoed');
    const numbered = await askV4('list', JSON.stringify({ transaction: 7 }));
    t.match(numbered, { status: 400, path: '/transaction' });
    t.notOk('transaction' in numbered, 'a transaction that is no string is not echoed');
    t.same(daemon.holds(), [], 'no refusal changed anything');
  });
});
