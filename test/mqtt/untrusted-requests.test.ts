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
    const topic = `${ROOT}/client/head-unit/response/${correlation}`;
    const onMessage = (got: string, answer: Buffer, packet: mqtt.IPublishPacket) => {
      if (got !== topic || packet.properties?.correlationData?.toString() !== correlation) return;
      client.off('message', onMessage);
      resolve(JSON.parse(answer.toString()) as Answer);
    };
    client.on('message', onMessage);
    void client.subscribeAsync(topic, { qos: 1 }).then(() => client.publishAsync(`${ROOT}/client/head-unit/request/${action}`, payload, { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from(correlation) } }));
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
  await v4.subscribeAsync(`${ROOT}/client/diag-tool/response/+`, { qos: 1 });
  /** Publishes a 3.1.1 request and resolves with the next answer on its own response/<action>. */
  const askV4 = (action: string, payload: Buffer | string): Promise<Answer> => {
    const answered = new Promise<Answer>((resolve) => {
      const onMessage = (topic: string, answer: Buffer) => {
        if (topic !== `${ROOT}/client/diag-tool/response/${action}`) return;
        v4.off('message', onMessage);
        resolve(JSON.parse(answer.toString()) as Answer);
      };
      v4.on('message', onMessage);
    });
    return v4.publishAsync(`${ROOT}/client/diag-tool/request/${action}`, payload, { qos: 1 }).then(() => answered);
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
    let payload = JSON.stringify({ transaction: 'big-1', personality: padding });
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

void t.test("a client's identity is its topic: answers, owners, duplicates, roles and the old shared topics", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/#`]);
  t.teardown(() => recorder.close());
  const daemon = await startLiveDaemon(t, broker.url, 'untrusted', undefined, undefined, { apiDefaultRole: 'observer', apiClients: [{ client: 'media', role: 'app' }, { client: 'nav', role: 'app' }, { client: 'integrator', role: 'integrator' }] });
  await recorder.waitFor((m) => m.topic === `${ROOT}/state/context` && m.text.includes('"city"'));
  const connect = (clientId: string, protocolVersion: 4 | 5) => mqtt.connectAsync(broker.url, { protocolVersion, clientId, reconnectPeriod: 0 });
  const [media, nav, integrator, viewer] = await Promise.all([connect('media', 5), connect('nav', 5), connect('integrator', 5), connect('viewer', 5)]);
  t.teardown(() => Promise.all([media, nav, integrator, viewer].map((c) => c.endAsync())));
  /** A v5 request on the client's own request topic, answered on `responseTopic` (default: its own). */
  const ask = (client: MqttClient, action: string, body: object, correlation: string, responseTopic?: string): Promise<Answer> => {
    const name = client.options.clientId!;
    const own = `${ROOT}/client/${name}/response/${action}`;
    return new Promise((resolve) => {
      const onMessage = (got: string, answer: Buffer, packet: mqtt.IPublishPacket) => {
        if (got !== own && got !== responseTopic) return;
        if (packet.properties?.correlationData?.toString() !== correlation) return;
        client.off('message', onMessage);
        resolve(JSON.parse(answer.toString()) as Answer);
      };
      client.on('message', onMessage);
      void client
        .subscribeAsync([own, ...(responseTopic ? [responseTopic] : [])], { qos: 1 })
        .then(() => client.publishAsync(`${ROOT}/client/${name}/request/${action}`, JSON.stringify(body), { qos: 1, properties: { responseTopic: responseTopic ?? own, correlationData: Buffer.from(correlation) } }));
    });
  };
  const statusBefore = recorder.on(`${ROOT}/status`).at(-1)?.text;

  await t.test('finding 2: a response topic outside the own response subtree is refused, answered on the own topic, and nothing is published there', async (t) => {
    for (const [i, leaf] of ['status', 'state/holds', 'event/switch', 'client/nav/response/select', 'client/media/request/reload', 'client/media/presence'].entries()) {
      const answer = await ask(media, 'list', {}, `rt${i}`, `${ROOT}/${leaf}`);
      t.match(answer, { status: 403, code: 'E_RESPONSE_TOPIC' }, `${leaf}: refused`);
    }
    await recorder.sync();
    t.equal(recorder.on(`${ROOT}/status`).at(-1)?.text, statusBefore, 'status is what the daemon last said');
    t.notOk(
      recorder.messages.some((m) => ['status', 'state/holds', 'event/switch', 'client/nav/response/select', 'client/media/request/reload', 'client/media/presence'].some((leaf) => m.topic === `${ROOT}/${leaf}`) && m.text.includes('"E_RESPONSE_TOPIC"')),
      'no answer went to any of those topics',
    );
  });

  await t.test('finding 1: a hold is owned by its sender; its token goes to the sender only; duplicates are per client', async (t) => {
    t.match(await ask(media, 'select', { personality: 'highway', owner: 'nav', holdSeconds: 60 }, 'own1'), { status: 400, path: '/owner' }, 'an owner that is not the sender is refused');
    const placed = await ask(media, 'select', { personality: 'highway', holdSeconds: 60 }, 'same-correlation');
    t.equal(placed.status, 200, JSON.stringify(placed));
    const { token } = placed.data as { token: string };
    t.match(daemon.holds(), [{ owner: 'media' }], 'owned by media, the client of the topic');
    const replay = await ask(nav, 'select', { personality: 'highway', holdSeconds: 60 }, 'same-correlation');
    t.ok(replay.status === 200 || replay.status === 409, "nav's request with media's correlation data runs for nav (placed; maybe waiting out the minimum interval)");
    t.not((replay.data as { token: string }).token, token, "…and gets its own token, never media's");
    t.equal(daemon.holds().length, 2, 'two holds: each request ran once');
    await recorder.sync();
    t.same(
      recorder.messages.filter((m) => m.text.includes(token)).map((m) => m.topic),
      [`${ROOT}/client/media/response/select`],
      "media's token appeared on media's own response topic and nowhere else",
    );
    // 3.1.1: two clients pick the same transaction.
    // Other connections (the same client id would end the v5 ones); without an ACL the topic alone names the client.
    const [a, b] = await Promise.all([connect('media-311', 4), connect('nav-311', 4)]);
    t.teardown(() => Promise.all([a.endAsync(), b.endAsync()]));
    const v4 = (client: MqttClient, name: string) =>
      new Promise<Answer>((resolve) => {
        client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as Answer));
        void client.subscribeAsync(`${ROOT}/client/${name}/response/list`, { qos: 1 }).then(() => client.publishAsync(`${ROOT}/client/${name}/request/list`, JSON.stringify({ transaction: 'same' }), { qos: 1 }));
      });
    const [fromA, fromB] = await Promise.all([v4(a, 'media'), v4(b, 'nav')]);
    t.match([fromA, fromB], [{ status: 200, transaction: 'same' }, { status: 200, transaction: 'same' }], 'both are answered, each on its own topic');
  });

  await t.test('finding 3 and 4: roles bound the actions, the priority and the number of holds', async (t) => {
    await recorder.sync();
    const before = recorder.messages.length;
    t.match(await ask(media, 'reload', {}, 'rl1'), { status: 403, code: 'E_ROLE', error: 'media has role app, which may call select, release, why, list' });
    t.match(await ask(viewer, 'select', { personality: 'city', holdSeconds: 60 }, 'v1'), { status: 403, code: 'E_ROLE' }, 'an unknown client is an observer');
    t.match(await ask(viewer, 'list', {}, 'v2'), { status: 200 }, '…which may read');
    t.match(await ask(media, 'select', { personality: 'city', holdSeconds: 60, priority: 1000 }, 'p1'), { status: 403, code: 'E_PRIORITY', path: '/priority' });
    for (let i = 0; i < 3; i++) t.match(await ask(media, 'select', { personality: 'city', holdSeconds: 60 }, `q${i}`), { data: { hold: String } }, `hold ${i + 2} of 4 placed`);
    t.match(await ask(media, 'select', { personality: 'city', holdSeconds: 60 }, 'q-over'), { status: 403, code: 'E_HOLD_QUOTA' }, 'a fifth is refused');
    t.equal(daemon.holds().filter((h) => h.owner === 'media').length, 4);
    await recorder.sync();
    t.notOk(recorder.messages.slice(before).some((m) => m.topic === `${ROOT}/event/manifest`), 'no reload happened');
    t.match(await ask(integrator, 'reload', {}, 'rl2'), { status: 200, data: { personalities: 5 } }, 'the integrator may reload');
  });

  await t.test('the shared request topics of old: 410 on response/<action>, nothing done, never on a named response topic', async (t) => {
    const old = await connect('legacy', 4);
    t.teardown(() => old.endAsync());
    await old.subscribeAsync(`${ROOT}/response/select`, { qos: 1 });
    const answered = new Promise<Answer>((resolve) => old.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as Answer)));
    const holds = daemon.holds().length;
    await old.publishAsync(`${ROOT}/request/select`, JSON.stringify({ transaction: 'old-1', personality: 'city', owner: 'legacy', holdSeconds: 60 }), { qos: 1 });
    t.match(await answered, { status: 410, code: 'E_GONE', transaction: 'old-1', error: /client\/<client>\/request\/select/ });
    t.equal(daemon.holds().length, holds, 'nothing was done');
  });
});
