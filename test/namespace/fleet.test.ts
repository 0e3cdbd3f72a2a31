/**
 * The host distributes, each instance decides: two daemons (simulated backend, instance
 * profiles cockpit and adas) and `persona host` on a real Mosquitto. Each adopts only the
 * personalities signed for its profile; a rollback through the namespace is refused by both;
 * the host rating one instance constrained switches that instance only; `persona host status`
 * lists both, with what each adopted and refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t, { type Test } from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig } from '../../src/daemon/config.js';
import type { SwitchRecord } from '../../src/daemon/daemon.js';
import { hostCommand } from '../../src/cli/host-command.js';
import { HostAgent } from '../../src/host/host-agent.js';
import type { NamespacePayload, PersonalityPayload } from '../../src/mqtt/contract.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { contractProblems } from '../helpers/contract-schemas.js';
import { ScriptSource, type Leg } from '../helpers/drive-script.js';
import { mosquittoBinary, startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { demoSigned } from './fixtures/demo-signed.js';

const HIGHWAY_LEG: Leg = { seconds: 30, speedKmh: 120, gear: 5 };

function hostConfig(cockpitResources: string): string {
  return JSON.stringify({
    broker: BROKER.url,
    releases: 'releases',
    intervalMs: 5000,
    instances: { 'cockpit-1': { role: 'cockpit', profile: 'cockpit', resources: cockpitResources }, 'adas-1': { role: 'adas', profile: 'adas', resources: 'normal' } },
  });
}

let BROKER: { url: string; stop(): Promise<void> };

/** A daemon of the fleet on the broker, driven by `legs` on its own simulated clock; its switches are collected. */
async function startInstance(t: Test, dir: string, ecuId: string, profile: string, legs: readonly Leg[], brokerUrl = BROKER.url): Promise<SwitchRecord[]> {
  const clock = new SimulatedClock();
  const source = new ScriptSource(loadVehicle(join(packageRoot(), 'vehicles/demo')), legs, clock, true);
  const config = loadConfig({ cwd: packageRoot(), overrides: { ecuId, instanceProfile: profile, namespace: 'mqtt', backend: 'simulated', manifestState: join(dir, ecuId, 'manifest-state.json'), holdState: join(dir, ecuId, 'holds.json'), workloadIntervalMs: 0 } });
  const switches: SwitchRecord[] = [];
  const daemon = (await buildDaemon(config, { logger: silentLogger, clock, source, observer: { switched: (r) => void switches.push(r) } }))({ brokerUrl });
  await daemon.start();
  const running = daemon.run();
  t.teardown(async () => {
    await daemon.stop();
    await running;
  });
  return switches;
}

if (!mosquittoBinary()) {
  if (process.env.CI) t.fail('mosquitto is not installed');
  else t.pass('the fleet over Mosquitto', { skip: 'mosquitto is not installed' });
} else {
  void t.test('two instances adopt only their own profile, both refuse a rollback, and constrained switches one', async (t) => {
    BROKER = await startMosquitto();
    t.teardown(() => BROKER.stop());
    const dir = t.testdir({ releases: {}, 'host.json': '' });
    writeFileSync(join(dir, 'host.json'), hostConfig('normal'));
    const recorder = await MqttRecorder.connect(BROKER.url, ['persona/+/state/#', 'persona/+/event/#', 'persona/fleet/#']);
    t.teardown(() => recorder.close());
    const agent = new HostAgent(join(dir, 'host.json'), { logger: silentLogger, clock: new SimulatedClock(), pressure: () => 10 });
    await agent.start();
    t.teardown(() => agent.stop());

    const report = (ecu: string, match: (p: NamespacePayload) => boolean) =>
      recorder.waitFor((m) => m.topic === `persona/${ecu}/state/namespace` && match(JSON.parse(m.text) as NamespacePayload)).then((m) => JSON.parse(m.text) as NamespacePayload);
    const released = (profile: string, version: number, coalescing: string): Buffer =>
      demoSigned('highway', { version, instanceProfiles: [profile], parameters: { interrupt_coalescence_time: coalescing, DMA_buffer_size: '256KB', power_saving_mode: 'disabled', feature_set: ['tso', 'gro', 'rx_checksum'] } });

    let cockpitConstrainedAt = 0;
    const cockpitLegs: Leg[] = [
      { seconds: 1, speedKmh: 0, gear: 126 },
      HIGHWAY_LEG,
      {
        ...HIGHWAY_LEG,
        onStart: async () => {
          writeFileSync(join(dir, 'releases/highway-cockpit.dsse.json'), released('cockpit', 3, '3ms'));
          writeFileSync(join(dir, 'releases/highway-adas.dsse.json'), released('adas', 3, '5ms'));
          await agent.tick();
          await Promise.all([report('cockpit-1', (p) => p.adopted.length > 0), report('adas-1', (p) => p.adopted.length > 0)]);
        },
      },
      {
        ...HIGHWAY_LEG,
        onStart: async () => {
          // Whoever can write the fleet topics tries to bring back an older signed version.
          const client = await mqtt.connectAsync(BROKER.url, { reconnectPeriod: 0 });
          await client.publishAsync('persona/fleet/personalities/pvnic/cockpit/highway', released('cockpit', 2, '6ms'), { qos: 1, retain: true });
          await client.publishAsync('persona/fleet/personalities/pvnic/adas/highway', released('adas', 2, '6ms'), { qos: 1, retain: true });
          await client.endAsync();
          await Promise.all([report('cockpit-1', (p) => p.rejected.length > 0), report('adas-1', (p) => p.rejected.length > 0)]);
        },
      },
      {
        ...HIGHWAY_LEG,
        onStart: async () => {
          cockpitConstrainedAt = switchesOf.cockpit.length;
          writeFileSync(join(dir, 'host.json'), hostConfig('constrained'));
          await agent.tick();
          await recorder.waitFor((m) => m.topic === 'persona/cockpit-1/state/context' && (JSON.parse(m.text) as { instance?: string }).instance === 'constrained');
        },
      },
      HIGHWAY_LEG,
    ];
    const switchesOf = {
      adas: await startInstance(t, dir, 'adas-1', 'adas', [{ seconds: 1, speedKmh: 0, gear: 126 }, HIGHWAY_LEG, HIGHWAY_LEG]),
      cockpit: await startInstance(t, dir, 'cockpit-1', 'cockpit', cockpitLegs),
    };
    await recorder.waitFor((m) => m.topic === 'persona/cockpit-1/event/switch' && /"to":"city"/.test(m.text) && cockpitConstrainedAt > 0, 60_000);
    await recorder.sync();

    const latest = (ecu: string): NamespacePayload => JSON.parse(recorder.on(`persona/${ecu}/state/namespace`).at(-1)!.text) as NamespacePayload;
    for (const [ecu, profile, other] of [['cockpit-1', 'cockpit', 'adas'], ['adas-1', 'adas', 'cockpit']] as const) {
      const r = latest(ecu);
      t.strictSame(r.adopted.map((a) => [a.personality, a.version]), [[`pvnic/${profile}/highway`, 3]], `${ecu} adopted only its own profile's highway`);
      t.notOk(JSON.stringify(r).includes(`pvnic/${other}/`), `${ecu} never looked at ${other}'s`);
      t.match(r.rejected, [{ personality: `pvnic/${profile}/highway`, code: 'E_ROLLBACK', error: new RegExp(`^mqtt:persona/fleet/personalities/pvnic/${profile}/highway: /version: 2 is older than version 3`) }], `${ecu} refused the rollback`);
      t.equal(r.profile, profile);
    }
    const coalescing = (ecu: string): string | undefined =>
      recorder
        .on(`persona/${ecu}/state/personality`)
        .map((m) => JSON.parse(m.text) as PersonalityPayload)
        .filter((p) => p.drivers.pvnic?.personality === 'highway')
        .at(-1)?.drivers.pvnic?.parameters.interrupt_coalescence_time;
        t.equal(coalescing('cockpit-1'), '3ms', 'cockpit applied its adopted highway');
    t.match(switchesOf.cockpit, [{}, {}, {}, { from: 'highway', to: 'highway', trigger: 'adopted pvnic/cockpit/highway v3' }], 'the adoption is a switch of its own, and says so');
    t.equal(coalescing('adas-1'), '5ms', 'adas applied its own');

    const cockpitAfter = switchesOf.cockpit.slice(cockpitConstrainedAt);
    t.match(cockpitAfter, [{ from: 'highway', to: 'city', trigger: /instance normal → constrained/ }], 'constrained: cockpit keeps the lighter city setting on the highway');
    t.notOk(switchesOf.adas.some((s) => s.to === 'city' && s.from === 'highway'), 'adas was not touched');

    const lines: string[] = [];
    t.equal(await hostCommand(['status', '--broker', BROKER.url], { print: (l) => lines.push(l), log: (l) => lines.push(`log: ${l}`) }), 0);
    t.comment(`persona host status:\n${lines.join('\n')}`);
    t.match(lines.join('\n'), /^adas-1 \(profile adas, on .*\)\n {2}host says: adas, normal, host pressure 10 %.*\n {2}instance sees: fresh.*\n {2}adopted {2}pvnic\/adas\/highway version 3 at .*\n {2}rejected pvnic\/adas\/highway at .*: E_ROLLBACK/m);
    t.match(lines.join('\n'), /^cockpit-1 \(profile cockpit, .*\)\n {2}host says: cockpit, constrained/m);

    const problems = recorder.messages.filter((m) => !m.topic.startsWith('persona/fleet/')).flatMap((m) => contractProblems(m.topic, m.text));
    t.strictSame(problems, [], 'every message the instances published fits the contract');
  });

  void t.test('a fleet on existing brokers: the namespace reaches an ECU over a Mosquitto bridge, and its report comes back', async (t) => {
    const fleet = await startMosquitto();
    t.teardown(() => fleet.stop());
    const ecu = await startMosquitto(['connection fleet', `address 127.0.0.1:${fleet.port}`, 'topic persona/fleet/# in 1', 'topic persona/bridged-1/state/namespace out 1']);
    t.teardown(() => ecu.stop());
    const dir = t.testdir({ releases: { 'highway.dsse.json': demoSigned('highway', { version: 4, instanceProfiles: ['cockpit'] }) } });
    writeFileSync(join(dir, 'host.json'), JSON.stringify({ broker: fleet.url, releases: 'releases', instances: { 'bridged-1': { role: 'cockpit', profile: 'cockpit', resources: 'normal' } } }));
    const atFleet = await MqttRecorder.connect(fleet.url, ['persona/+/state/namespace']);
    t.teardown(() => atFleet.close());
    const agent = new HostAgent(join(dir, 'host.json'), { logger: silentLogger, clock: new SimulatedClock(), pressure: () => null });
    await agent.start();
    t.teardown(() => agent.stop());
    await startInstance(t, dir, 'bridged-1', 'cockpit', [{ seconds: 1, speedKmh: 0, gear: 126 }], ecu.url);
    const report = await atFleet.waitFor((m) => m.topic === 'persona/bridged-1/state/namespace' && (JSON.parse(m.text) as NamespacePayload).adopted.length > 0);
    t.match(JSON.parse(report.text), { source: 'mqtt:persona/fleet', adopted: [{ personality: 'pvnic/cockpit/highway', version: 4 }], context: { role: 'cockpit', stale: false } }, 'adopted through the bridge; the report crossed back');
    const lines: string[] = [];
    t.equal(await hostCommand(['status', '--broker', fleet.url], { print: (l) => lines.push(l), log: (l) => lines.push(`log: ${l}`) }), 0);
    t.match(lines.join('\n'), /^bridged-1 \(profile cockpit.*\n {2}host says: cockpit, normal, host pressure n\/a.*\n {2}instance sees: fresh.*\n {2}adopted {2}pvnic\/cockpit\/highway version 4/m);
  });
}
