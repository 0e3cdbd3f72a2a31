import t from 'tap';
import mqtt, { type MqttClient } from 'mqtt';
import { CITY_DRIVE, startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { answerProblems, contractProblems } from '../helpers/contract-schemas.js';

const ROOT = 'persona/api';
type Answer = { status: number; transaction?: string; data?: Record<string, unknown>; error?: string; path?: string };
/** Every answer received, with the action it answers, for the check against the contract. */
const answers: Array<{ action: string; text: string }> = [];

/** Sends a v5 request on the client's own topic, with a response topic of its own and correlation data, and waits for its answer. */
function askV5(client: MqttClient, action: string, body: unknown, correlation: string, raw?: Buffer): Promise<Answer> {
  const name = client.options.clientId!;
  return new Promise((resolve) => {
    const topic = `${ROOT}/client/${name}/response/${correlation}`;
    const onMessage = (got: string, payload: Buffer, packet: mqtt.IPublishPacket) => {
      if (got !== topic || packet.properties?.correlationData?.toString() !== correlation) return;
      client.off('message', onMessage);
      answers.push({ action, text: payload.toString() });
      resolve(JSON.parse(payload.toString()) as Answer);
    };
    client.on('message', onMessage);
    void client.subscribeAsync(topic, { qos: 1 }).then(() =>
      client.publishAsync(`${ROOT}/client/${name}/request/${action}`, raw ?? JSON.stringify(body), { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from(correlation) } }),
    );
  });
}

void t.test('the request API over a real Mosquitto, MQTT v5 and 3.1.1', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/#`]);
  t.teardown(() => recorder.close());
  const daemon = await startLiveDaemon(t, broker.url, 'api', undefined, undefined, { apiClients: [{ client: 'head-unit', role: 'integrator' }] });
  await recorder.waitFor((m) => m.topic === `${ROOT}/state/context` && (JSON.parse(m.text) as { context: string }).context === 'city');

  const v5 = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'head-unit', reconnectPeriod: 0 });
  t.teardown(() => v5.endAsync());

  // select, with a duplicate
  const selected = await askV5(v5, 'select', { personality: 'highway', holdSeconds: 600, priority: 50 }, 'c1');
  t.equal(selected.status, 200, JSON.stringify(selected));
  const { hold, token } = selected.data as { hold: string; token: string };
  t.match(selected.data, { driver: 'pvnic', personality: 'highway', targets: [{ target: 'pvnic', winner: 'hold', personality: 'highway', result: 'partial', waiting: { DMA_buffer_size: '256KB' } }] });
  const again = await askV5(v5, 'select', { personality: 'highway', holdSeconds: 600, priority: 50 }, 'c1');
  t.same(again, selected, 'a duplicate gets the same answer');
  t.equal(daemon.holds().length, 1, '…and places no second hold');
  const holds = await recorder.waitFor((m) => m.topic === `${ROOT}/state/holds` && (JSON.parse(m.text) as { holds: unknown[] }).holds.length === 1);
  t.notOk(holds.text.includes(token), 'state/holds never shows a token');
  t.match(JSON.parse(holds.text), { holds: [{ id: hold, owner: 'head-unit', personality: 'highway', priority: 50 }], seq: Number, bootId: String });

  // errors, each changing nothing
  t.match(await askV5(v5, 'select', { personality: 'warp', holdSeconds: 5 }, 'e1'), { status: 404, error: /no personality "warp"/ });
  t.match(await askV5(v5, 'select', { personality: 'city', priority: 'high' }, 'e2'), { status: 400, path: '/priority' });
  t.match(await askV5(v5, 'select', { personality: 'city' }, 'e3'), { status: 400, path: '/holdSeconds' }, 'without presence, a hold must say how long');
  t.match(await askV5(v5, 'select', {}, 'e4', Buffer.from('{"personality": ')), { status: 400, error: /invalid JSON/ });
  t.match(await askV5(v5, 'select', {}, 'e5', Buffer.alloc(20_000, 32)), { status: 400, error: /over the 16384-byte cap/ });
  t.match(await askV5(v5, 'fly', {}, 'e6'), { status: 404, error: /unknown action "fly"/ });
  t.match(await askV5(v5, 'release', { hold, token: 'guess' }, 'e7'), { status: 403 });
  t.match(await askV5(v5, 'release', { hold: 'h999-00', token }, 'e8'), { status: 404 });
  t.equal(daemon.holds().length, 1, 'no error changed the holds');
  await v5.publishAsync(`${ROOT}/client/head-unit/request/release`, JSON.stringify({ hold, token }), { qos: 1, retain: true });
  await recorder.waitFor((m) => m.topic === `${ROOT}/event/rejected` && m.text.includes('"E_RETAINED"'));
  t.equal(daemon.holds().length, 1, 'a retained request is dropped unread');
  await v5.publishAsync(`${ROOT}/client/head-unit/request/release`, '', { qos: 1, retain: true });

  // why and list over 3.1.1, with a transaction id
  const v4 = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'diag-tool', reconnectPeriod: 0 });
  t.teardown(() => v4.endAsync());
  await v4.subscribeAsync(`${ROOT}/client/diag-tool/response/+`, { qos: 1 });
  const v4Answer = (action: string) =>
    new Promise<Answer>((resolve) =>
      v4.once('message', (topic, payload) => {
        if (topic !== `${ROOT}/client/diag-tool/response/${action}`) return;
        answers.push({ action, text: payload.toString() });
        resolve(JSON.parse(payload.toString()) as Answer);
      }),
    );
  let answer = v4Answer('why');
  await v4.publishAsync(`${ROOT}/client/diag-tool/request/why`, JSON.stringify({ transaction: 't-42' }), { qos: 1 });
  t.match(await answer, { status: 200, transaction: 't-42', data: { drivers: [{ winner: { source: 'hold', rule: hold } }] } });
  answer = v4Answer('list');
  await v4.publishAsync(`${ROOT}/client/diag-tool/request/list`, JSON.stringify({ transaction: 't-43' }), { qos: 1 });
  const listed = await answer;
  t.match(listed, { status: 200, transaction: 't-43', data: { holds: [{ id: hold }] } });
  t.same(((listed.data as { drivers: Record<string, Array<{ name: string }>> }).drivers.pvnic ?? []).map((p) => p.name).sort(), ['city', 'highway', 'offroad', 'parked', 'safe']);

  // reload: the whole index swapped at once
  t.match(await askV5(v5, 'reload', {}, 'rl'), { status: 200, data: { personalities: 5, rejected: [] } });

  // release with the token
  t.match(await askV5(v5, 'release', { hold, token }, 'r1'), { status: 200, data: { hold, released: true } });
  t.same(daemon.holds(), []);

  // the host's instance context: in state/context and in the decision's inputs
  daemon.onInstance({ timeMs: daemon.timeMs, stale: false, role: 'cockpit', resources: 'constrained', hostPressure: 72.5, updated: '2026-01-01T09:00:15.000Z', source: 'mqtt:host/instances/cockpit' });
  const context = await recorder.waitFor((m) => m.topic === `${ROOT}/state/context` && m.text.includes('"constrained"'));
  t.match(JSON.parse(context.text), { context: 'city', instance: 'constrained', role: 'cockpit', hostPressure: 72.5 });
  await recorder.waitFor((m) => m.topic === `${ROOT}/state/decision` && m.text.includes('"trigger":"instance unknown → constrained, instance role none → cockpit"'));
  await recorder.sync();
  t.same(recorder.messages.flatMap((m) => contractProblems(m.topic, m.text)), [], `all ${recorder.messages.length} messages, answers included, match the contract's schemas`);
  t.same(answers.flatMap((a) => answerProblems(a.action, a.text)), [], `all ${answers.length} answers match the response schema, their data included (why: a decision record)`);
});

void t.test('a hold is tied to its owner: when its presence goes offline (last will), the hold goes', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/state/#`]);
  t.teardown(() => recorder.close());
  const daemon = await startLiveDaemon(t, broker.url, 'api');
  await recorder.waitFor((m) => m.topic === `${ROOT}/state/context` && m.text.includes('"city"'));
  const presence = `${ROOT}/client/media/presence`;
  const media = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'media', reconnectPeriod: 0, will: { topic: presence, payload: Buffer.from('offline'), qos: 1, retain: true } });
  await media.publishAsync(presence, 'online', { qos: 1, retain: true });
  await recorder.sync();
  const placed = await askV5(media, 'select', { personality: 'offroad', priority: 20 }, 'p1');
  t.equal(placed.status, 200, JSON.stringify(placed));
  t.equal(daemon.holds().length, 1);
  // The client dies: the broker publishes its will.
  const dropped = recorder.waitForNext((m) => m.topic === `${ROOT}/state/holds` && (JSON.parse(m.text) as { holds: unknown[] }).holds.length === 0);
  media.stream.destroy();
  await dropped;
  t.same(daemon.holds(), [], 'dropped');
  const decision = await recorder.waitFor((m) => m.topic === `${ROOT}/state/decision` && m.text.includes('went away'));
  const reverted = (JSON.parse(decision.text) as { trigger: string; drivers: Array<{ winner: { source: string; personality: string }; result: string }> });
  t.match(reverted.trigger, /^media went away, dropping h1-/);
  t.match(reverted.drivers[0], { winner: { source: 'policy', personality: 'city' } }, 'the policy wins again (the switch back waits out the minimum interval)');
});

void t.test('what a request makes the daemon publish goes out after the apply, and its answer last: the state it changed is out before it, and its hold on disk', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/#`]);
  t.teardown(() => recorder.close());
  // The drive is over, and with it everything it published, once a last leg without frames begins.
  let driven: (() => void) | undefined;
  const drive = new Promise<void>((resolve) => (driven = resolve));
  await startLiveDaemon(t, broker.url, 'api', [...CITY_DRIVE, { seconds: 0, onStart: () => driven?.() }]);
  await drive;
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'head-unit', reconnectPeriod: 0 });
  t.teardown(() => client.endAsync());
  await recorder.sync();
  const from = recorder.messages.length;
  const answer = await askV5(client, 'select', { personality: 'highway', holdSeconds: 600, priority: 50 }, 'o1');
  t.equal(answer.status, 200, JSON.stringify(answer));
  await recorder.waitFor((m) => m.topic === `${ROOT}/event/switch` && m.text.includes('"to":"highway"'));
  await recorder.sync();
  t.same(
    recorder.messages.slice(from).map((m) => m.topic.slice(ROOT.length + 1)),
    ['client/head-unit/request/select', 'state/holds', 'state/decision', 'state/personality', 'event/switch', 'client/head-unit/response/o1'],
  );
});

void t.test('a flood of 10,000 requests from one client: its own rate only, few answers, aggregated reports, a bystander still served', async (t) => {
  // Unbounded queues: every request of the flood reaches persona, so that each can be accounted for.
  const broker = await startMosquitto(['max_queued_messages 0']);
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/event/rejected`]);
  t.teardown(() => recorder.close());
  await startLiveDaemon(t, broker.url, 'api', [{ seconds: 2, speedKmh: 0, gear: 126 }], undefined, {}, { rejectedWindowMs: 200 });
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'flood', reconnectPeriod: 0 });
  t.teardown(() => client.endAsync());
  await client.subscribeAsync(`${ROOT}/client/flood/response/why`, { qos: 0 });
  const statuses = new Map<number, number>();
  client.on('message', (_topic, payload) => {
    const status = (JSON.parse(payload.toString()) as Answer).status;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 10_000; i++) client.publish(`${ROOT}/client/flood/request/why`, JSON.stringify({ transaction: `f${i}` }), { qos: 1 });
  const bystander = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bystander', reconnectPeriod: 0 });
  t.teardown(() => bystander.endAsync());
  t.match(await askV5(bystander, 'why', {}, 'during'), { status: 200 }, "another client is answered during the flood: the flood spends the flooder's own tokens");
  // Each request is either served (200) or refused and counted; the counts come aggregated.
  const refused = (): number =>
    recorder.messages
      .map((m) => JSON.parse(m.text) as { client?: string; status: number; count?: number })
      .filter((e) => e.client === 'flood' && e.status === 429)
      .reduce((sum, e) => sum + (e.count ?? 1), 0);
  await recorder.waitFor(() => refused() + (statuses.get(200) ?? 0) === 10_000);
  const heapAfter = process.memoryUsage().heapUsed;
  const events = recorder.messages.length;
  t.comment(`answers to the flooder: ${JSON.stringify(Object.fromEntries(statuses))}; ${refused()} refusals in ${events} events on event/rejected; heap ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB more`);
  const served = statuses.get(200) ?? 0;
  t.ok(served >= 20 && served < 100, `the flooder's burst (role app: 20) and its refill (5 per second) are served: ${served}`);
  t.ok((statuses.get(429) ?? 0) >= 1 && (statuses.get(429) ?? 0) <= 10, 'it is told 429, at most once a second, not 9,980 times');
  t.ok(events <= 50, `the refusals are aggregated: ${events} events for ${refused()} refusals`);
  t.ok(heapAfter - heapBefore < 100e6, 'heap stays bounded');
});
