/**
 * Adoption latency of the shared namespace: from `persona host` distributing a new signed
 * personality to a guest having it applied, over retained MQTT topics (pushed) and over a
 * shared folder (polled every 250 ms, each release at a random phase of the poll), side by side
 * in one run against the same host agent. Both include the host writing its files durably.
 * Each guest sits on a silent bus, so the safe personality is in force and every new
 * version of it is applied at once (safety is exempt from the minimum switch interval).
 *
 *   npm run bench:namespace
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/common/clock.js';
import { silentLogger } from '../src/common/logger.js';
import { packageRoot } from '../src/common/package-root.js';
import type { FrameSource } from '../src/can/can-frame.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import { loadConfig } from '../src/daemon/config.js';
import type { SwitchRecord } from '../src/daemon/daemon.js';
import { HostAgent } from '../src/host/host-agent.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { demoSigned } from '../test/namespace/fixtures/demo-signed.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';
import { progress } from './bench-progress.js';
import { median, percentile } from './timing.js';

const ROUNDS = 30;
const POLL_MS = 250;
const MQTT_TARGET_MS = 100;

/** A CAN bus on which nothing is ever said, on the wall clock: the context stays unknown. */
class SilentBus implements FrameSource {
  readonly description = 'silent';
  readonly timeScale = 1;
  private end: (() => void) | undefined;
  nowUs(): number {
    return Math.round(performance.now() * 1000);
  }
  start(): Promise<void> {
    return new Promise((resolve) => (this.end = resolve));
  }
  stop(): Promise<void> {
    this.end?.();
    return Promise.resolve();
  }
}

export async function run(): Promise<BenchEntry[]> {
  const dir = mkdtempSync(join(tmpdir(), 'persona-bench-ns-'));
  // As the layer deploys it: without this, Mosquitto's own Nagle delays each message ~40 ms.
  const broker = await startMosquitto(['set_tcp_nodelay true']);
  const stops: Array<() => Promise<void>> = [];
  try {
    mkdirSync(join(dir, 'releases'));
    writeFileSync(join(dir, 'host.json'), JSON.stringify({ namespaceDir: 'ns', broker: broker.url, releases: 'releases', intervalMs: 3_600_000, instances: { 'over-mqtt': { role: 'cockpit', profile: 'bench', resources: 'normal' }, 'over-dir': { role: 'cockpit', profile: 'bench', resources: 'normal' } } }));
    const agent = new HostAgent(join(dir, 'host.json'), { logger: silentLogger, clock: systemClock, pressure: () => null });
    // Contexts are rewritten only when the bench says: each round is one distribution.
    await agent.start();
    const applied = new Map<string, Array<{ atMs: number; record: SwitchRecord }>>();
    for (const [ecuId, namespace] of [['over-mqtt', 'mqtt'], ['over-dir', `dir:${join(dir, 'ns')}`]] as const) {
      const config = loadConfig({ cwd: packageRoot(), overrides: { ecuId, instanceProfile: 'bench', namespace, namespacePollMs: POLL_MS, backend: 'simulated', manifestState: join(dir, ecuId, 'state.json'), workloadIntervalMs: 0 } });
      const seen: Array<{ atMs: number; record: SwitchRecord }> = [];
      applied.set(ecuId, seen);
      const source = new SilentBus();
      const daemon = (await buildDaemon(config, { logger: silentLogger, source, observer: { switched: (record) => void seen.push({ atMs: performance.now(), record }) } }))({ brokerUrl: broker.url });
      await daemon.start();
      const running = daemon.run();
      stops.push(async () => {
        await daemon.stop();
        await running;
      });
    }
    // The silent bus gives the bundled safe personality first.
    for (const [id, seen] of applied) await waitFor(() => seen[0], 10_000, `${id} to start`);
    const tickMs: number[] = [];
    const latencies = new Map<string, number[]>([['over-mqtt', []], ['over-dir', []]]);
    for (let round = 0; round < ROUNDS; round++) {
      const coalescing = `${3 + (round % 5)}ms`;
      writeFileSync(join(dir, 'releases/safe.dsse.json'), demoSigned('safe', { version: 2 + round, instanceProfiles: ['bench'], parameters: { interrupt_coalescence_time: coalescing, DMA_buffer_size: '64KB', power_saving_mode: 'balanced', feature_set: ['rx_checksum'] } }));
      // A random phase against the folder's poll, as a real release has.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * POLL_MS));
      const before = new Map([...applied].map(([id, seen]) => [id, seen.length]));
      const startedMs = performance.now();
      await agent.tick();
      tickMs.push(performance.now() - startedMs);
      for (const [id, seen] of applied) {
        const arrival = await waitFor(() => seen.slice(before.get(id)).find((s) => s.record.trigger.startsWith('adopted')), 10_000, `${id} round ${round}`);
        latencies.get(id)!.push(arrival.atMs - startedMs);
      }
      progress(`namespace adoption: round ${round + 1}/${ROUNDS}`);
    }
    await agent.stop();
    const mqtt = latencies.get('over-mqtt')!;
    const folder = latencies.get('over-dir')!;
    const line = (name: string, values: number[]): string => `${name.padEnd(28)} p50 ${median(values).toFixed(1)} ms, p99 ${percentile(values, 0.99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
    process.stdout.write(['', `=== namespace adoption: host distributes → guest applied (${ROUNDS} versions, simulated backend) ===`, line('retained MQTT topics', mqtt), line(`shared folder, poll ${POLL_MS} ms`, folder), line('the host round alone', tickMs), ''].join('\n'));
    const mqttP99 = percentile(mqtt, 0.99);
    const folderP99 = percentile(folder, 0.99);
    return [
      { name: 'namespace adoption over MQTT, p99 (host distributes → applied)', value: mqttP99, unit: 'ms', reference: `a shared folder polled every ${POLL_MS} ms, p99`, referenceValue: folderP99, target: `< ${MQTT_TARGET_MS} ms`, met: mqttP99 < MQTT_TARGET_MS },
      { name: `namespace adoption over a shared folder, p99 (poll ${POLL_MS} ms)`, value: folderP99, unit: 'ms', reference: 'the poll interval', referenceValue: POLL_MS, target: `< poll + 100 ms`, met: folderP99 < POLL_MS + 100 },
    ];
  } finally {
    for (const stop of stops) await stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves with what `find` finds, looking every millisecond, or rejects after `timeoutMs`. */
async function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

await runWhenMain(import.meta.url, run);
