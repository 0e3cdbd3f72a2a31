import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { packageRoot } from '../../src/common/package-root.js';
import { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';

const run = promisify(execFile);
const DOC = readFileSync(join(packageRoot(), 'docs/mqtt-api.md'), 'utf8');
const ACL = join(packageRoot(), 'docs/mosquitto.acl.example');

/** The shell examples of the doc's "Examples" section, in order, as written. */
function examples(): string[] {
  const section = DOC.slice(DOC.indexOf('### Examples'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.slice(0, 2);
}

/** Runs an example as written but for the broker's port (the doc's 1883 may be taken here). */
async function runExample(example: string, port: number, env: Record<string, string> = {}): Promise<string> {
  const script = example.replaceAll('-p 1883', `-p ${port}`);
  const { stdout } = await run('sh', ['-c', script], { env: { ...process.env, ...env }, timeout: 20_000 });
  return stdout;
}

/** Waits until the daemon on `url` has decided something (retained state/decision), so that `why` has an answer. */
async function decided(url: string, credentials: { username?: string; password?: string } = {}): Promise<void> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...credentials });
  try {
    const arrived = new Promise<void>((resolve) => client.on('message', () => resolve()));
    await client.subscribeAsync('persona/demo-ecu/state/decision', { qos: 1 });
    await arrived;
  } finally {
    await client.endAsync();
  }
}

t.equal(examples().length, 2, 'the doc has a v5 example for Mosquitto and a 3.1.1 example for npm start');
const [v5Example, v311Example] = examples() as [string, string];

void t.test('the v5 example, as written, against Mosquitto with the shipped ACL', async (t) => {
  const dir = t.testdir();
  const passwords = join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'persona', 'daemon-secret']);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'infotainment', 'hu-secret']);
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwords}`, `acl_file ${ACL}`]);
  t.teardown(() => broker.stop());
  await startLiveDaemon(t, broker.url, 'demo-ecu', undefined, { username: 'persona', password: 'daemon-secret' }, { broker: broker.url, apiClients: [{ client: 'infotainment', role: 'app' }] });
  await decided(broker.url, { username: 'infotainment', password: 'hu-secret' });
  const answer = JSON.parse(await runExample(v5Example, broker.port, { INFOTAINMENT_PASSWORD: 'hu-secret' })) as { status: number; data?: { drivers?: unknown[]; bootId?: string } };
  t.equal(answer.status, 200, 'why is answered');
  t.ok(Array.isArray(answer.data?.drivers) && answer.data?.bootId, 'with the decision record and the boot id');
});

void t.test('the 3.1.1 example, as written, against the embedded broker of npm start and against Mosquitto', async (t) => {
  const embedded = new EmbeddedBroker();
  const url = await embedded.start(21_883);
  t.teardown(() => embedded.stop());
  await startLiveDaemon(t, url, 'demo-ecu');
  await decided(url);
  const port = Number(new URL(url).port);
  const answer = JSON.parse(await runExample(v311Example, port)) as { status: number; transaction?: string; data?: { drivers?: Record<string, unknown[]> } };
  t.match(answer, { status: 200, transaction: 't1' }, 'npm start: list answered on the client’s own topic, the transaction echoed');
  t.ok((answer.data?.drivers?.pvnic ?? []).length > 0, 'with the personalities');
  await t.rejects(runExample(v5Example, port, { INFOTAINMENT_PASSWORD: 'x' }), 'as the doc says, the v5 example needs a v5 broker: the embedded one speaks 3.1.1 only');

  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  await startLiveDaemon(t, broker.url, 'demo-ecu');
  await decided(broker.url);
  t.match(JSON.parse(await runExample(v311Example, broker.port)), { status: 200, transaction: 't1' }, 'Mosquitto without users: the same');
});
