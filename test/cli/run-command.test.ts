import t from 'tap';
import { join } from 'node:path';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { spawnPersona } from '../helpers/persona-process.js';

const state = (text: string): string => (JSON.parse(text) as { state: string }).state;

void t.test('--help lists the commands', async (t) => {
  const p = spawnPersona(t, ['--help']);
  t.same(await p.exited, { code: 0, signal: null });
  const text = p.stdout.join('\n');
  for (const command of ['run', 'synth', 'version', 'help']) t.match(text, new RegExp(`^  ${command} `, 'm'), command);
});

void t.test('an unknown command or flag fails with exit code 1', async (t) => {
  t.equal((await spawnPersona(t, ['fly']).exited).code, 1);
  const p = spawnPersona(t, ['run', '--warp']);
  t.equal((await p.exited).code, 1);
  t.match(p.stderr.join('\n'), /Unknown option '--warp'/);
});

void t.test('a config with three mistakes: all listed, exit 2, nothing published', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, ['persona/#']);
  t.teardown(() => recorder.close());
  const config = JSON.stringify({ broker: broker.url, ecuId: 'has space', sampleIntervalMs: 1, colour: 'red' });
  const p = spawnPersona(t, ['run'], { 'persona.config.json': config });
  t.same(await p.exited, { code: 2, signal: null });
  const file = join(p.cwd, 'persona.config.json');
  t.same(
    p.stderr.filter((l) => l.startsWith(file)),
    [`${file}: /colour: unknown key`, `${file}: /ecuId: must match pattern "^[A-Za-z0-9_-]{1,64}$"`, `${file}: /sampleIntervalMs: must be >= 10`],
  );
  t.match(p.stderr.join('\n'), /configuration rejected, nothing started/);
  await recorder.sync();
  t.same(recorder.messages, [], 'nothing was published');
});

void t.test('a missing --config file is reported, exit 2', async (t) => {
  const p = spawnPersona(t, ['run', '--config', 'absent.json']);
  t.same(await p.exited, { code: 2, signal: null });
  t.match(p.stderr.join('\n'), `${join(p.cwd, 'absent.json')}: /: file not found`);
});

void t.test('broker credential files that cannot be read: each listed, exit 2, before connecting', async (t) => {
  const config = JSON.stringify({ broker: 'mqtts://127.0.0.1:1', mqttUsername: 'persona', mqttPasswordFile: 'absent.password', mqttCaFile: 'absent.crt' });
  const p = spawnPersona(t, ['run'], { 'persona.config.json': config });
  t.same(await p.exited, { code: 2, signal: null });
  t.same(
    p.stderr.filter((l) => l.includes('cannot read')),
    [`${join(p.cwd, 'absent.password')}: /: cannot read the mqttPasswordFile: ENOENT (no such file or directory)`, `${join(p.cwd, 'absent.crt')}: /: cannot read the mqttCaFile: ENOENT (no such file or directory)`],
  );
});

void t.test('SIGKILL: the broker publishes the last will, status reads offline', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, ['persona/killme/status']);
  t.teardown(() => recorder.close());
  const p = spawnPersona(t, ['run', '--broker', broker.url, '--ecu-id', 'killme', '--speed', '1']);
  await recorder.waitFor((m) => state(m.text) === 'online');
  p.child.kill('SIGKILL');
  t.equal((await p.exited).signal, 'SIGKILL');
  const will = await recorder.waitFor((m) => state(m.text) === 'offline');
  t.equal(will.retain, true, 'the will is retained');
  const late = await MqttRecorder.connect(broker.url, ['persona/killme/status']);
  t.teardown(() => late.close());
  await late.sync();
  t.same(late.messages.map((m) => JSON.parse(m.text) as unknown), [{ state: 'offline' }], 'a newcomer reads offline');
});

void t.test('embedded broker: URL printed, first switch, retained state, Ctrl-C exits cleanly', async (t) => {
  const port = await freePort();
  const p = spawnPersona(t, ['run'], { 'persona.config.json': JSON.stringify({ embeddedBrokerPort: port }) });
  const urlLine = await p.waitForLine(/MQTT broker mqtt:\/\/127\.0\.0\.1:\d+ \(embedded\)/);
  t.match(urlLine, `mqtt://127.0.0.1:${port} `);
  await p.waitForLine(/→ parked: driver pvnic {2}interrupt_coalescence_time 2ms→8ms/);
  const topics = ['status', 'state/context', 'state/decision', 'state/holds', 'state/personality'].map((topic) => `persona/demo-ecu/${topic}`);
  // The log line can come before the broker has stored the last of them: once each has been seen, a newcomer must get them all retained.
  const first = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`, ['persona/demo-ecu/status', 'persona/demo-ecu/state/#'], 4);
  for (const topic of topics) await first.waitFor((m) => m.topic === topic);
  await first.close();
  const recorder = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`, ['persona/demo-ecu/status', 'persona/demo-ecu/state/#'], 4);
  await recorder.sync();
  const retained = new Map(recorder.messages.map((m) => [m.topic, m.retain]));
  for (const topic of topics) t.equal(retained.get(topic), true, `${topic} is retained`);
  await recorder.close();
  p.child.kill('SIGINT');
  t.same(await p.exited, { code: 0, signal: null });
  t.match(p.stdout.join('\n'), /persona: stopping/);
});

void t.test('the embedded broker moves to the next port when the first is taken', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const p = spawnPersona(t, ['run', '--no-loop', '--speed', '0'], { 'persona.config.json': JSON.stringify({ embeddedBrokerPort: broker.port }) });
  const port = Number(/127\.0\.0\.1:(\d+) \(embedded\)/.exec(await p.waitForLine(/MQTT broker/))?.[1]);
  t.ok(port > broker.port && port < broker.port + 100, `took the next free port (${port})`);
  t.same(await p.exited, { code: 0, signal: null }, 'a replay without loop ends by itself');
});
