import t from 'tap';
import { join } from 'node:path';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig } from '../../src/daemon/config.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { ScriptSource } from '../helpers/drive-script.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { StatusPublisher } from '../../src/mqtt/status-publisher.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';

void t.test('the broker is gone for 60 s of driving: state is current after reconnect, dropped events are counted', async (t) => {
  let broker: MosquittoBroker = await startMosquitto();
  const port = broker.port;
  t.teardown(() => broker.stop());
  const clock = new SimulatedClock();
  const D = 3;
  let restarted = (): void => undefined;
  const back = new Promise<void>((resolve) => (restarted = resolve));
  const source = new ScriptSource(
    loadVehicle(join(packageRoot(), 'vehicles/demo')),
    [
      { seconds: 1, speedKmh: 0, gear: 126 },
      { seconds: 20, speedKmh: 40, gear: D },
      {
        seconds: 30,
        speedKmh: 110,
        gear: 6,
        onStart: async () => {
          await broker.stop();
          // The drive goes on only once the daemon has noticed.
          while (publisher.connected) await new Promise((r) => setImmediate(r));
        },
      },
      { seconds: 30, speedKmh: 40, gear: D },
      {
        seconds: 1,
        speedKmh: 40,
        onStart: async () => {
          broker = await startMosquitto([], port);
          restarted();
        },
      },
    ],
    clock,
    true,
  );
  const config = loadConfig({ cwd: packageRoot(), overrides: { ecuId: 'outage', workloadIntervalMs: 0, policy: join(t.testdir({ 'policy.json': JSON.stringify({ minSwitchIntervalMs: 0, drivers: { pvnic: { safe: 'safe', rules: [{ when: { driving: 'parked' }, personality: 'parked' }, { when: { driving: 'highway' }, personality: 'highway' }, { when: {}, personality: 'city' }] } } }) }), 'policy.json') } });
  const publisher = new StatusPublisher({ url: broker.url, ecuId: 'outage', online: { state: 'online', backend: 'simulated' }, reconnectMs: { initial: 50, max: 200 }, eventBuffer: 1 });
  const daemon = (await buildDaemon(config, { logger: silentLogger, clock, source }))({ publisher });
  await daemon.start();
  const running = daemon.run();
  t.teardown(async () => {
    await daemon.stop();
    await running;
  });
  const context = (m: { text: string }) => (JSON.parse(m.text) as { context: string }).context;
  await back;
  // A fresh broker with nothing retained: whatever is there, the daemon published after reconnecting.
  const recorder = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`, ['persona/outage/#']);
  t.teardown(() => recorder.close());
  const status = await recorder.waitFor((m) => m.topic === 'persona/outage/status' && m.text.includes('droppedEvents'));
  t.match(JSON.parse(status.text), { state: 'online', droppedEvents: 1 }, 'two switches while offline, a buffer of one: one dropped, reported in status');
  await recorder.sync();
  t.ok(recorder.on('persona/outage/event/switch').some((m) => m.text.includes('"from":"highway","to":"city"')), 'the newest buffered event is delivered after the reconnect');
  // What a client arriving now reads: the retained state must be the current one, not one from before the outage.
  const late = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`, ['persona/outage/state/#']);
  t.teardown(() => late.close());
  await late.sync();
  t.equal(context(late.on('persona/outage/state/context')[0]!), 'city', 'the retained context is current');
  const personality = late.on('persona/outage/state/personality')[0]!;
  t.equal((JSON.parse(personality.text) as { drivers: { pvnic: { personality: string } } }).drivers.pvnic.personality, 'city', 'the retained personality is current');
});

void t.test('degraded: a reason in status while a CAN interface is down, online again after', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, ['persona/health/status']);
  t.teardown(() => recorder.close());
  const publisher = new StatusPublisher({ url: broker.url, ecuId: 'health', online: { state: 'online', backend: 'simulated' } });
  await publisher.start();
  t.teardown(() => publisher.stop());
  publisher.setDegraded('CAN can0: can0 went down; reopening with backoff up to 5000 ms');
  publisher.setDegraded('CAN can0: can0 went down; reopening with backoff up to 5000 ms');
  publisher.setDegraded(undefined);
  await recorder.waitFor((m) => m.text.includes('"online"') && recorder.messages.length >= 3);
  await recorder.sync();
  t.same(
    recorder.messages.map((m) => JSON.parse(m.text) as unknown),
    [
      { state: 'online', backend: 'simulated' },
      { state: 'degraded', backend: 'simulated', reason: 'CAN can0: can0 went down; reopening with backoff up to 5000 ms' },
      { state: 'online', backend: 'simulated' },
    ],
    'each change once, retained',
  );
  t.ok(recorder.messages.every((m) => m.retain));
});
