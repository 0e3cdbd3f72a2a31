import t from 'tap';
import { createLogger } from '../../src/common/logger.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig } from '../../src/daemon/config.js';
import { ContextPolicy } from '../../src/policy/context-policy.js';
import type { SwitchRecord } from '../../src/daemon/daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { contractProblems } from '../helpers/contract-schemas.js';
import { timestamps, timesOutside } from '../helpers/api-times.js';

void t.test('the bundled drive through a real Mosquitto, as fast as possible', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, ['persona/#']);
  t.teardown(() => recorder.close());

  const logs: string[] = [];
  const switches: SwitchRecord[] = [];
  const config = loadConfig({ cwd: t.testdir(), overrides: { ecuId: 'itest', speed: 0, loop: false, holdState: 'holds.json' } });
  const daemon = (await buildDaemon(config, { logger: createLogger('persona', 'info', (l) => logs.push(l)), observer: { switched: (r) => switches.push(r) } }))({ brokerUrl: broker.url });
  const wall = { fromMs: Date.now(), toMs: Number.NaN };
  await daemon.start();
  await daemon.run();
  await recorder.sync();
  wall.toMs = Date.now();

  const contexts = recorder.on('persona/itest/state/context').map((m) => (JSON.parse(m.text) as { context: string }).context);
  t.same(contexts, ['unknown', 'parked', 'city', 'highway', 'city', 'offroad', 'city', 'parked'], 'retained context sequence');
  t.ok(recorder.on('persona/itest/state/context').every((m) => m.retain), 'context is retained');

  const events = recorder.on('persona/itest/event/switch');
  t.ok(events.every((m) => !m.retain), 'switch events are not retained');
  type Switch = { from: string | null; to: string; target: string; driver: string; context: { driving: string }; trigger: { reason: string; source: string; rule: string }; changes: Array<{ resource: string; name: string; from: string; to: string }>; pending: Array<{ name: string; to: string }>; durationMs: number; generation: number };
  const parsed = events.map((m) => JSON.parse(m.text) as Switch);
  t.same(
    parsed.map((e) => `${e.from ?? '-'}>${e.to} (${e.trigger.reason})`),
    [
      '->safe (start)',
      'safe>parked (driving unknown → parked)',
      'parked>city (driving parked → city)',
      'city>city (standstill)',
      'city>highway (driving city → highway)',
      'highway>city (driving highway → city)',
      'city>offroad (minimum interval between switches elapsed)',
      'offroad>city (driving offroad → city)',
      'city>parked (minimum interval between switches elapsed)',
    ],
  );
  const toHighway = parsed[4]!;
  t.equal(toHighway.driver, 'pvnic');
  t.equal(toHighway.context.driving, 'highway');
  t.same(toHighway.trigger, { reason: 'driving city → highway', source: 'policy', rule: 'policy.json#/drivers/pvnic/rules/4' });
  t.same(
    toHighway.changes.filter((c) => c.name === 'interrupt_coalescence_time'),
    ['pvnic0', 'pvnic1'].map((resource) => ({ resource, name: 'interrupt_coalescence_time', from: '1ms', to: '4ms' })),
    'on both devices of the driver',
  );
  t.same(toHighway.pending, [{ name: 'DMA_buffer_size', to: '256KB' }], 'the ring size waits for a standstill');
  t.ok(toHighway.durationMs >= 0 && toHighway.durationMs < 1000, 'time taken is reported');
  t.same(parsed.map((e) => e.generation), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'the start personality equals the driver defaults: no new generation');
  t.equal(switches.length, 9, 'the observer saw each switch');

  const personalities = recorder.on('persona/itest/state/personality');
  t.equal(personalities.length, 9);
  const last = JSON.parse(personalities.at(-1)!.text) as { backend: string; drivers: Record<string, { personality: string; parameters: Record<string, string> }> };
  t.equal(last.backend, 'simulated');
  t.same(last.drivers.pvnic?.parameters, { interrupt_coalescence_time: '8ms', DMA_buffer_size: '16KB', power_saving_mode: 'aggressive', feature_set: 'rx_checksum' });

  const decision = JSON.parse(recorder.on('persona/itest/state/decision').at(-1)!.text) as { trigger: string; drivers: Array<{ winner: { personality: string } }> };
  t.equal(decision.drivers[0]!.winner.personality, 'parked', 'the latest decision is retained for `persona why`');
  const status = recorder.on('persona/itest/status').map((m) => JSON.parse(m.text) as { state: string; backend: string });
  t.match(status[0], { state: 'online', backend: 'simulated', note: /^simulated backend: .*no driver is changed$/ }, 'the fallback to the simulation says so in status');

  // A client arriving later gets the retained state.
  const late = await MqttRecorder.connect(broker.url, ['persona/itest/status', 'persona/itest/state/#']);
  t.teardown(() => late.close());
  await late.sync();
  t.same(
    late.messages.map((m) => [m.topic, m.retain]).sort(),
    [
      ['persona/itest/status', true],
      ['persona/itest/state/context', true],
      ['persona/itest/state/decision', true],
      ['persona/itest/state/holds', true],
      ['persona/itest/state/personality', true],
    ].sort(),
    'status, context, decision, holds and personality are retained',
  );

  t.same(recorder.messages.flatMap((m) => contractProblems(m.topic, m.text)), [], `all ${recorder.messages.length} published payloads match their schemas`);
  // The drive's CAN time is 2026-01-01T09:00–09:03; the wall clock is now: every timestamp on MQTT is the wall clock's, but canTime.
  // A deferral's notBefore lies ahead, by at most the minimum interval between switches.
  const times = recorder.messages.map((m) => ({ topic: m.topic, found: timestamps(JSON.parse(m.text)) }));
  const drive = { fromMs: Date.parse('2026-01-01T09:00:00Z'), toMs: Date.parse('2026-01-01T09:03:05Z') };
  const ahead = { fromMs: wall.fromMs, toMs: wall.toMs + ContextPolicy.load(config.policy).minSwitchIntervalMs };
  t.same(times.flatMap(({ topic, found }) => timesOutside(found, ahead, drive).map((outside) => `${topic}${outside}`)), [], `all ${times.flatMap((m) => m.found).length} timestamps on MQTT are wall-clock time, or CAN time in canTime fields`);
  await daemon.stop();
  await recorder.waitFor((m) => m.topic === 'persona/itest/status' && (JSON.parse(m.text) as { state: string }).state === 'offline');
  t.pass('stop publishes offline');
  t.ok(logs.some((l) => l.includes('simulated backend')), 'the simulated backend says so in the log');
});
