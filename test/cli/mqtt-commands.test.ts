import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Daemon } from '../../src/daemon/daemon.js';
import { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { listCommand } from '../../src/cli/list-command.js';
import type { Output } from '../../src/cli/output.js';
import { releaseCommand } from '../../src/cli/release-command.js';
import { selectCommand } from '../../src/cli/select-command.js';
import { describeContext, describeStatus, describeWorkload, statusCommand } from '../../src/cli/status-command.js';
import { whyCommand } from '../../src/cli/why-command.js';
import { main as infotainment } from '../../examples/infotainment.js';
import { CITY_DRIVE, startLiveDaemon } from '../helpers/live-daemon.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { spawnPersona } from '../helpers/persona-process.js';

/**
 * A daemon on a simulated clock: parked for a second, then 20 s of city driving, then the bus
 * goes quiet and time stands still. Its switches are at least 10 s apart, so the first hold
 * switches at once and every later change is deferred: each answer below is deterministic.
 */
async function startDaemon(t: Test, brokerUrl: string, ecuId: string, protocolVersion: 4 | 5 = 5): Promise<Daemon> {
  const recorder = await MqttRecorder.connect(brokerUrl, [`persona/${ecuId}/state/context`], protocolVersion);
  const daemon = await startLiveDaemon(t, brokerUrl, ecuId, CITY_DRIVE, undefined, { apiClients: [{ client: 'integrator', role: 'integrator' }], apiDefaultRole: 'app' });
  await recorder.waitFor((m) => (JSON.parse(m.text) as { context: string }).context === 'city');
  await recorder.close();
  return daemon;
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the compiled CLI to its end, in a folder with `files`: main's exit codes and messages, at a second or more of start-up a run. */
async function persona(t: Test, args: string[], files: Record<string, string> = {}): Promise<Run> {
  const p = spawnPersona(t, args, files);
  const { code } = await p.exited;
  return { code, out: p.stdout.join('\n'), err: p.stderr.join('\n') };
}

/** Runs one command in this process, as main does, to keep the file fast. */
async function cli(command: (args: string[], out: Output) => Promise<number>, args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, { print: (l) => out.push(l), log: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

void t.test('status, list, select, release and watch against a running daemon (Mosquitto, MQTT v5)', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const daemon = await startDaemon(t, broker.url, 'cli');
  const at = ['--broker', broker.url, '--ecu-id', 'cli'];
  const watch = spawnPersona(t, ['watch', ...at]);
  await watch.waitForLine(/^holds none$/);
  let hold = '';
  let token = '';

  await t.test('status prints the retained state', async (t) => {
    const text = await cli(statusCommand, at);
    t.equal(text.code, 0, text.err);
    t.match(text.out, new RegExp(`^persona/cli at ${broker.url}: online, simulated backend \\(.*no driver is changed\\)$`, 'm'), 'with the note');
    t.match(text.out, /^context: driving city, workload \w+, io \w+, instance unknown, [\d.]+ km\/h, since \S+$/m);
    t.match(text.out, /^pvnic \(pvnic0(, \w+)*\): city, generation \d+, since \S+$/m);
    t.match(text.out, /^holds: none$/m);
    const json = await cli(statusCommand, [...at, '--json']);
    t.equal(json.code, 0, json.err);
    t.match(JSON.parse(json.out), { status: { state: 'online', backend: 'simulated' }, context: { context: 'city' }, personality: { drivers: { pvnic: { personality: 'city' } } }, holds: { holds: [] } });
  });

  await t.test('why still reads the retained decision', async (t) => {
    const why = await cli(whyCommand, at);
    t.equal(why.code, 0, why.err);
    t.match(why.out, /^ {2}pvnic \(.*\): city, chosen by policy rule/m);
  });

  await t.test('list prints the personalities and the holds', async (t) => {
    const list = await cli(listCommand, at);
    t.equal(list.code, 0, list.err);
    const lines = list.out.split('\n');
    t.equal(lines[0], 'pvnic:');
    t.same(lines.slice(1, 6).map((l) => l.trim().split(/\s+/)[0]).sort(), ['city', 'highway', 'offroad', 'parked', 'safe']);
    t.match(lines[1], /^ {2}\w+ +v\d+ +\S/);
    t.equal(lines.at(-1), 'holds: none');
  });

  await t.test('select --hold places a hold for that long and prints its token', async (t) => {
    const select = await persona(t, ['select', 'highway', '--hold', '90s', '--priority', '50', ...at]);
    t.equal(select.code, 0, select.err);
    [, hold = '', token = ''] = /^release with: persona release (h\d+-\w+) (\S+) --broker \S+ --ecu-id cli$/m.exec(select.out) ?? [];
    t.match(select.out, new RegExp(`^hold ${hold} placed: highway for pvnic, 90s\ntoken: ${token}\n`, 'm'));
    t.match(select.out, /^ {2}pvnic: highway, chosen by hold, partial; waiting for a standstill: DMA_buffer_size 256KB$/m);
    const [placed, ...others] = daemon.holds();
    t.same(others, []);
    t.match(placed, { id: hold, driver: 'pvnic', personality: 'highway', priority: 50, owner: /^persona-cli-[0-9a-f]{8}$/ });
    t.equal(Date.parse(placed?.expires ?? '') - Date.parse(placed?.placed ?? ''), 90_000, 'lapses after --hold');
  });

  await t.test('watch printed the switch the hold caused, and the holds', async (t) => {
    t.match(await watch.waitForLine(/^switch /), new RegExp(`^switch \\S+ pvnic city → highway, hold ${hold} placed by persona-cli-\\w+ \\(hold ${hold}\\): .*interrupt_coalescence_time 1ms→4ms.*; waiting for a standstill: DMA_buffer_size 256KB$`));
    t.match(await watch.waitForLine(/^holds h/), new RegExp(`^holds ${hold}: highway for pvnic, owner persona-cli-\\w+, priority 50, until \\S+$`));
    t.match(await watch.waitForLine(/^personality /), /^personality pvnic \(pvnic0(, \w+)*\): city, generation \d+, since \S+; waiting for a standstill: DMA_buffer_size 64KB$/, 'the retained one first');
    await watch.waitForLine(/^personality pvnic \(.*\): highway/);
    // Only an integrator reloads: the configuration gives the client "integrator" that role.
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await client.publishAsync('persona/cli/client/integrator/request/reload', '{}', { qos: 1 });
    await client.endAsync();
    t.match(await watch.waitForLine(/^manifests /), /^manifests \S+ reloaded: 5 personalities$/);
  });

  await t.test('status shows the hold', async (t) => {
    const status = await cli(statusCommand, at);
    t.match(status.out, /^pvnic \(.*\): highway, generation \d+, since \S+\n {2}waiting for a standstill: DMA_buffer_size 256KB$/m);
    t.match(status.out, new RegExp(`^holds:\n {2}${hold}: highway for pvnic, owner persona-cli-\\w+, priority 50, until \\S+$`, 'm'));
  });

  await t.test('release: a wrong token is refused with 403, the right one releases', async (t) => {
    const wrong = await persona(t, ['release', hold, 'guess', ...at]);
    t.same([wrong.code, wrong.out, wrong.err], [1, '', `persona release: 403 wrong token for hold "${hold}"`]);
    t.match(await watch.waitForLine(/^rejected /), new RegExp(`^rejected \\S+ request/release: 403 wrong token for hold "${hold}"$`));
    t.equal(daemon.holds().length, 1, 'still held');
    const right = await cli(releaseCommand, [hold, token, ...at]);
    t.same([right.code, right.out, right.err], [0, `released hold ${hold}`, '']);
    t.same(daemon.holds(), []);
  });

  await t.test('select: an unknown personality is a 404, a priority above the role\'s a 403 with its code, a deferred hold a 409 that still prints its token', async (t) => {
    const unknown = await cli(selectCommand, ['warp', ...at]);
    t.same([unknown.code, unknown.out, unknown.err], [1, '', 'persona select: 404 no personality "warp" (at /personality)']);
    const above = await cli(selectCommand, ['offroad', '--priority', '600', ...at]);
    t.same([above.code, above.out, above.err], [1, '', 'persona select: 403 E_PRIORITY /priority: role app may ask for at most 500, got 600 (at /priority)']);
    const deferred = await cli(selectCommand, ['offroad', ...at]);
    t.equal(deferred.code, 3, 'placed, not in force');
    t.match(deferred.out, /^hold h\d+-\w+ placed, not in force: offroad for pvnic, 10m\ntoken: [0-9a-f]{64}\n/);
    t.match(deferred.err, /^persona select: 409 placed, but deferred until \S+$/);
    const [, id = '', secret = ''] = /^release with: persona release (h\d+-\w+) (\S+)/m.exec(deferred.out) ?? [];
    t.match(daemon.holds(), [{ id, personality: 'offroad', priority: 10 }], 'placed all the same');
    t.equal(Date.parse(daemon.holds()[0]?.expires ?? '') - Date.parse(daemon.holds()[0]?.placed ?? ''), 600_000, 'for the default 10 minutes');
    const json = await cli(releaseCommand, [id, secret, ...at, '--json']);
    t.same([json.code, JSON.parse(json.out)], [0, { status: 200, data: { hold: id, released: true } }]);
    const answer = await cli(selectCommand, ['parked', '--json', ...at]);
    t.equal(answer.code, 3);
    t.match(JSON.parse(answer.out), { status: 409, error: /deferred/, data: { hold: /^h\d+-/, token: String, personality: 'parked' } });
  });

  await t.test("the host's instance context in watch, status and why", async (t) => {
    daemon.onInstance({ timeMs: daemon.timeMs, stale: false, role: 'cockpit', resources: 'constrained', hostPressure: 70, updated: '2026-01-01T09:00:20.000Z', source: 'mqtt:host/instances/cockpit' });
    t.match(await watch.waitForLine(/^context .*instance constrained/), /^context driving city, workload \w+, io \w+, instance constrained \(role cockpit, host pressure 70\.0 %\), [\d.]+ km\/h, since \S+$/);
    const status = await cli(statusCommand, at);
    t.match(status.out, /^context: driving city, workload \w+, io \w+, instance constrained \(role cockpit, host pressure 70\.0 %\), /m);
    const why = await cli(whyCommand, at);
    t.match(why.out, /^decision \d+ at \S+ \(CAN time \S+\), after instance unknown → constrained, instance role none → cockpit$/m);
    t.match(why.out, /^ {2}context: driving city, workload \w+, io \w+, instance constrained \(/m);
    t.match(why.out, /^ {2}host: role cockpit, resources constrained, host pressure 70\.0 % \(from mqtt:host\/instances\/cockpit, updated 2026-01-01T09:00:20\.000Z\)$/m);
  });

  await t.test('watch stops on Ctrl-C', async (t) => {
    watch.child.kill('SIGINT');
    t.same(await watch.exited, { code: 0, signal: null });
  });

  await t.test('no daemon, no broker, a bad flag: exit 1 with the reason', async (t) => {
    const silent = await cli(listCommand, ['--broker', broker.url, '--ecu-id', 'nobody', '--timeout-ms', '200']);
    t.same([silent.code, silent.err], [1, `persona list: the daemon did not answer request/list within 200 ms (persona/nobody/ at ${broker.url}): is it running with this --ecu-id?`]);
    const empty = await cli(statusCommand, ['--broker', broker.url, '--ecu-id', 'nobody', '--timeout-ms', '200']);
    t.same([empty.code, empty.err], [1, `persona status: nothing retained under persona/nobody/ at ${broker.url} within 200 ms: is the daemon running with this --ecu-id?`]);
    const port = await freePort();
    const unreachable = await cli(selectCommand, ['city', '--broker', `mqtt://127.0.0.1:${port}`]);
    t.equal(unreachable.code, 1);
    t.match(unreachable.err, `persona select: cannot reach the MQTT broker at mqtt://127.0.0.1:${port}: connect ECONNREFUSED`);
    await t.rejects(cli(selectCommand, ['city', '--hold', '5 minutes', ...at]), { message: 'select: --hold takes a duration like 90s, 10m or 2h, got "5 minutes"' });
  });
});

void t.test('a user the ACL lets read but not ask: its request is refused at once, with the reason', async (t) => {
  const dir = t.testdir({ acl: 'user guest\ntopic read persona/demo-ecu/client/guest/#\n' });
  const passwords = join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'guest', 'guest-secret']);
  // Mosquitto reads both files when it starts: the CLI's run below may clear the folder.
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwords}`, `acl_file ${join(dir, 'acl')}`]);
  t.teardown(() => broker.stop());
  const started = performance.now();
  const refused = await persona(t, ['list', '--broker', broker.url, '--username', 'guest', '--password-file', 'guest.password', '--ecu-id', 'demo-ecu', '--timeout-ms', '60000'], { 'guest.password': 'guest-secret\n' });
  t.equal(refused.code, 1);
  t.equal(refused.err, "persona list: the broker refused guest's request/list (Publish error: Not authorized): does its ACL allow it?");
  t.ok(performance.now() - started < 60_000, 'the process ends without sitting out the timeout');
});

void t.test('status in words: degraded with its reason, events lost to an outage, the context, the workload', async (t) => {
  t.equal(describeStatus({ state: 'degraded', reason: 'can0 is down', backend: 'kmod', droppedEvents: 3 }), 'degraded (can0 is down), kmod backend, 3 events dropped while the broker was unreachable');
  t.equal(describeStatus({ state: 'offline' }), 'offline');
  const context = { context: 'city', workload: 'normal', io: 'quiet', since: '2026-01-01T09:00:00.000Z', canTime: '2026-01-01T08:00:00.000Z', speedKmh: null };
  t.equal(describeContext({ ...context, instance: 'unknown', role: null, hostPressure: null }), 'driving city, workload normal, io quiet, instance unknown, speed unknown, since 2026-01-01T09:00:00.000Z');
  t.equal(describeContext({ ...context, instance: 'normal', role: 'batch', hostPressure: null }), 'driving city, workload normal, io quiet, instance normal (role batch), speed unknown, since 2026-01-01T09:00:00.000Z');
  t.equal(describeWorkload({ workload: 'pressured', io: 'bulk', cpuPressure: 41.25, memoryPressure: 3, ioPressure: null }), 'pressured, io bulk (pressure cpu 41.3 %, memory 3.0 %, io n/a)');
});

void t.test('MQTT 3.1.1 fallback: the embedded Aedes broker refuses v5, select and release use transactions', async (t) => {
  const broker = new EmbeddedBroker();
  const url = await broker.start(await freePort());
  t.teardown(() => broker.stop());
  const daemon = await startDaemon(t, url, 'aedes', 4);
  const responses = await MqttRecorder.connect(url, ['persona/aedes/client/+/response/+'], 4);
  t.teardown(() => responses.close());
  const at = ['--broker', url, '--ecu-id', 'aedes'];
  const watch = spawnPersona(t, ['watch', '--json', ...at]);
  const line = (l: string): { topic: string; retained: boolean; payload: unknown } => JSON.parse(l) as { topic: string; retained: boolean; payload: unknown };
  t.match(line(await watch.waitForLine(/"topic":"persona\/aedes\/state\/holds"/)), { retained: true, payload: { holds: [] } }, 'watch --json: the retained state first');

  const status = await cli(statusCommand, at);
  t.match(status.out, /^context: driving city/m, status.err);
  const select = await cli(selectCommand, ['highway', '--hold', '2h', ...at]);
  t.equal(select.code, 0, select.err);
  const [, hold = '', token = ''] = /^release with: persona release (h\d+-\w+) (\S+)/m.exec(select.out) ?? [];
  t.match(daemon.holds(), [{ id: hold, personality: 'highway' }]);
  const answer = await responses.waitFor((m) => /^persona\/aedes\/client\/persona-cli-[0-9a-f]{8}\/response\/select$/.test(m.topic));
  t.match(JSON.parse(answer.text), { status: 200, transaction: /^[0-9a-f]{32}$/, data: { hold, token } }, 'answered on its own client/<client>/response/select with the transaction');
  t.match(line(await watch.waitForLine(/"topic":"persona\/aedes\/event\/switch"/)), { retained: false, payload: { target: 'pvnic', from: 'city', to: 'highway', trigger: { source: 'hold', rule: hold } } });
  watch.child.kill('SIGINT');
  t.same(await watch.exited, { code: 0, signal: null });
  const release = await cli(releaseCommand, [hold, token, ...at]);
  t.same([release.code, release.out], [0, `released hold ${hold}`], release.err);
  t.same(daemon.holds(), []);
});
void t.test('the infotainment example: presence online, a hold without holdSeconds, released, offline', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const daemon = await startDaemon(t, broker.url, 'hu');
  const recorder = await MqttRecorder.connect(broker.url, ['persona/hu/state/holds', 'persona/hu/client/+/presence']);
  t.teardown(() => recorder.close());
  const lines: string[] = [];
  const hold = await infotainment({ url: broker.url, ecuId: 'hu', clientId: 'head-unit', personality: 'highway', priority: 50, holdMs: 0, log: (l) => lines.push(l) });
  await recorder.waitFor((m) => m.topic === 'persona/hu/client/head-unit/presence' && m.text === 'offline');
  await recorder.sync();
  const holds = recorder.on('persona/hu/state/holds').map((m) => (JSON.parse(m.text) as { holds: unknown[] }).holds);
  t.match(holds, [[], [{ id: hold, owner: 'head-unit', personality: 'highway', priority: 50, whilePresent: true, expires: String }], []], 'held while present, on a lease, then released');
  t.same(
    recorder.on('persona/hu/client/head-unit/presence').map((m) => [m.text, m.retain]),
    [
      ['online', true],
      ['offline', true],
    ],
  );
  t.same(lines, [`head-unit: online at ${broker.url} (MQTT v5)`, `head-unit: holding highway as ${hold}`, `head-unit: released ${hold}`]);
  t.same(daemon.holds(), []);
});
