import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { packageRoot } from '../../src/common/package-root.js';
import { MAX_DOCUMENT_BYTES } from '../../src/manifests/bounded-json.js';
import { MAX_INBOUND_PACKET_BYTES } from '../../src/mqtt/status-publisher.js';
import { startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';

const ROOT = 'persona/limits';
const FRAGMENT = join(packageRoot(), 'yocto-layer/recipes-support/persona-mosquitto/files/persona-broker.conf');
const MIB = 1024 * 1024;

/** A valid v5 request, and its answer. */
function askWhy(client: MqttClient, correlation: string): Promise<{ status: number }> {
  return new Promise((resolve) => {
    const topic = `${ROOT}/client/head-unit/response/${correlation}`;
    client.on('message', (got, payload, packet) => {
      if (got === topic && packet.properties?.correlationData?.toString() === correlation) resolve(JSON.parse(payload.toString()) as { status: number });
    });
    void client.subscribeAsync(topic, { qos: 1 }).then(() => client.publishAsync(`${ROOT}/client/head-unit/request/why`, '{}', { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from(correlation) } }));
  });
}

void t.test('the shipped broker fragment caps packets: a 1 MiB request never reaches persona, which answers the next one', async (t) => {
  const line = /^max_packet_size (\d+)$/m.exec(readFileSync(FRAGMENT, 'utf8'));
  t.ok(line, 'the fragment sets max_packet_size');
  const limit = Number(line?.[1]);
  t.ok(limit >= 2 * MAX_DOCUMENT_BYTES, `${limit} bytes: at least twice persona's largest message (a ${MAX_DOCUMENT_BYTES}-byte signed document)`);
  t.ok(limit >= MAX_INBOUND_PACKET_BYTES, "at least what the daemon accepts, so nothing the daemon may receive is refused earlier");
  t.ok(limit < MIB, 'below the 1 MiB of the test below, and far below 32 MiB');

  const broker = await startMosquitto([`max_packet_size ${limit}`]);
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/#`]);
  t.teardown(() => recorder.close());
  await startLiveDaemon(t, broker.url, 'limits');
  await recorder.waitFor((m) => m.topic === `${ROOT}/state/context` && m.text.includes('"city"'));

  // A v5 client is told the limit in CONNACK.
  const v5 = mqtt.connect(broker.url, { protocolVersion: 5, clientId: 'head-unit', reconnectPeriod: 0 });
  t.teardown(() => v5.endAsync());
  const connack = await new Promise<mqtt.IConnackPacket>((resolve) => v5.once('connect', resolve));
  t.equal(connack.properties?.maximumPacketSize, limit, 'the broker announces its limit to v5 clients');

  // A 3.1.1 client is not told, sends 1 MiB anyway, and is disconnected by the broker.
  await recorder.sync();
  const before = recorder.messages.length;
  const flooder = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'flooder', reconnectPeriod: 0 });
  const closed = new Promise<void>((resolve) => flooder.once('close', () => resolve()));
  flooder.publish(`${ROOT}/client/flooder/request/why`, Buffer.alloc(MIB, 0x20), { qos: 0 });
  await closed;
  t.pass('the broker dropped the connection of the client that sent 1 MiB');

  t.match(await askWhy(v5, 'after-flood'), { status: 200 }, 'the daemon is up and answers the next valid request');
  await recorder.sync();
  const seen = recorder.messages.slice(before);
  t.same(
    seen.filter((m) => m.topic.startsWith(`${ROOT}/client/flooder/response/`) || m.topic === `${ROOT}/event/rejected` || m.topic === `${ROOT}/status`),
    [],
    'persona never saw the 1 MiB request: no answer, no rejection, no status change',
  );
  const largest = Math.max(...recorder.messages.filter((m) => m.topic.startsWith(`${ROOT}/`)).map((m) => Buffer.byteLength(m.text)));
  t.comment(`largest message persona published here: ${largest} bytes`);
  t.ok(largest < limit / 8, "persona's own messages are far below the limit");
});

void t.test('the daemon tells the broker its maximum packet size: a bigger request is not delivered to it', async (t) => {
  // A broker without a limit of its own: only the daemon's CONNECT property stands in the way.
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, [`${ROOT}/#`]);
  t.teardown(() => recorder.close());
  await startLiveDaemon(t, broker.url, 'limits');
  await recorder.waitFor((m) => m.topic === `${ROOT}/state/context` && m.text.includes('"city"'));
  const v5 = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'head-unit', reconnectPeriod: 0 });
  t.teardown(() => v5.endAsync());

  await recorder.sync();
  const before = recorder.messages.length;
  const big = `{"transaction":"big",${' '.repeat(MAX_INBOUND_PACKET_BYTES)}}`;
  await v5.publishAsync(`${ROOT}/client/head-unit/request/why`, big, { qos: 1 });
  await recorder.waitFor((m) => m.topic === `${ROOT}/client/head-unit/request/why` && m.text.length === big.length);
  t.pass('the broker took the request and delivers it to a client without a limit');
  t.match(await askWhy(v5, 'after-big'), { status: 200 }, 'the next valid request is answered');
  await recorder.sync();
  t.same(
    recorder.messages.slice(before).filter((m) => (m.topic.startsWith(`${ROOT}/client/head-unit/response/`) && m.text.includes('"big"')) || m.topic === `${ROOT}/event/rejected`),
    [],
    'the daemon never received it: no over-the-cap answer, no rejection',
  );
});
