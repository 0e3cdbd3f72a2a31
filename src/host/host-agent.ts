import { statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock } from '../common/clock.js';
import { writeDurably } from '../common/durable-file.js';
import type { Logger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import { sendWithoutDelay } from '../mqtt/no-delay.js';
import type { InstanceContextDocument } from '../namespace/instance-context.js';
import { contextFile, contextTopic, personalitiesFolder, personalityTopic } from '../namespace/namespace-layout.js';
import { loadHostConfig, type HostConfig, type HostInstance } from './host-config.js';
import { ReleaseCatalog } from './release-catalog.js';

export interface HostAgentOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Wall clock, ms since the epoch: the contexts' `updated`. */
  readonly now?: () => number;
  /** The host's pressure in percent (PSI avg10 of its busiest resource), null when it cannot tell. */
  readonly pressure: () => number | null;
}

/**
 * The hypervisor side of the shared namespace. Every interval it writes each instance's
 * context (so that a guest sees it is still current) and distributes the released
 * personalities, to the shared folder and as retained MQTT topics. It cannot sign and
 * holds no keys: what it distributes is what the release process signed, and each
 * guest verifies it. Its configuration is read again when the file changes; a bad edit
 * is reported and the configuration in force stays.
 */
export class HostAgent {
  private config: HostConfig;
  private configStamp: number;
  private client: MqttClient | undefined;
  private cancel: (() => void) | undefined;
  /** What was last distributed at each place, per target, so unchanged files are not sent again. */
  private inFolder = new Map<string, Buffer>();
  private readonly onBroker = new Map<string, Buffer>();
  private readonly catalog: ReleaseCatalog;
  /** Rounds run one after another: the one asked for last sees every change made before. */
  private rounds: Promise<void> = Promise.resolve();
  private pending = false;
  private brokerDown = false;

  /** @throws DocumentError when the configuration is invalid */
  constructor(
    private readonly configFile: string,
    private readonly options: HostAgentOptions,
  ) {
    this.config = loadHostConfig(configFile);
    this.configStamp = stamp(configFile);
    this.catalog = new ReleaseCatalog(options.logger);
  }

  get instances(): Readonly<Record<string, HostInstance>> {
    return this.config.instances;
  }

  async start(): Promise<void> {
    if (this.config.broker !== undefined) {
      // Not waited for: the folder is served while the broker is down, and the client reconnects.
      const client = mqtt.connect(this.config.broker, { clientId: `persona-host-${process.pid}`, reconnectPeriod: 1000, protocolVersion: 5 });
      client.on('connect', () => {
        sendWithoutDelay(client);
        // The broker may have restarted without its retained messages: everything goes again.
        this.onBroker.clear();
        this.tick().catch((error: Error) => this.options.logger.error(`host round failed: ${error.message}`));
      });
      client.on('error', (error) => this.options.logger.debug(`${this.config.broker}: ${error.message}`));
      this.client = client;
      // The first attempt decides whether the first round publishes: connected, refused or closed.
      await new Promise<void>((resolve) => {
        client.once('connect', () => resolve());
        client.once('error', () => resolve());
        client.once('close', () => resolve());
      });
    }
    await this.tick();
    this.arm();
  }

  async stop(): Promise<void> {
    this.cancel?.();
    await this.client?.endAsync();
  }

  /**
   * One round: configuration, contexts, releases. Files are written first, then what the
   * broker should retain is published, if it is reachable: a broker that is down delays
   * nothing else, and what it missed is published at the next round it is up.
   */
  tick(): Promise<void> {
    const round = this.rounds.then(() => this.round());
    this.rounds = round.catch(() => undefined);
    return round;
  }

  private async round(): Promise<void> {
    this.reloadIfChanged();
    const pressure = this.options.pressure();
    const updated = new Date(Math.floor((this.options.now ?? Date.now)())).toISOString();
    const { namespaceDir } = this.config;
    const contexts = Object.entries(this.config.instances).map(([id, instance]) => {
      const document: InstanceContextDocument = {
        format: 1,
        instance: id,
        role: instance.role,
        resources: instance.resources === 'auto' ? (pressure !== null && pressure > instance.constrainedAbove ? 'constrained' : 'normal') : instance.resources,
        hostPressure: pressure === null ? null : Math.round(pressure * 100) / 100,
        updated,
        ...(instance.limits ? { limits: instance.limits } : {}),
      };
      return { id, bytes: Buffer.from(`${JSON.stringify(document, null, 2)}\n`) };
    });
    const releases = [...this.catalog.releases(this.config.releases).values()];
    if (namespaceDir !== undefined) {
      for (const { id, bytes } of contexts) writeDurably(contextFile(namespaceDir, id), bytes);
      for (const release of releases.filter((r) => !this.inFolder.get(r.place.path)?.equals(r.bytes))) {
        writeDurably(join(personalitiesFolder(namespaceDir), release.place.path), release.bytes);
        this.inFolder.set(release.place.path, release.bytes);
        this.options.logger.info(`distributed ${release.place.path} version ${release.version} from ${release.file} to ${namespaceDir}`);
      }
    }
    const client = this.client;
    if (client === undefined) return;
    if (!client.connected) {
      if (!this.brokerDown) this.options.logger.warn(`${this.config.broker} is unreachable: contexts and releases are published once it is back`);
      this.brokerDown = true;
      return;
    }
    this.brokerDown = false;
    await Promise.all(contexts.map(({ id, bytes }) => client.publishAsync(contextTopic(id), bytes, { qos: 1, retain: true })));
    for (const release of releases.filter((r) => !this.onBroker.get(r.place.path)?.equals(r.bytes))) {
      await client.publishAsync(personalityTopic(release.place), release.bytes, { qos: 1, retain: true });
      this.onBroker.set(release.place.path, release.bytes);
      this.options.logger.info(`distributed ${release.place.path} version ${release.version} from ${release.file} to ${this.config.broker}`);
    }
  }

  private arm(): void {
    this.cancel?.();
    this.cancel = this.options.clock.every(this.config.intervalMs, () => {
      // A round still running (a slow folder) is not queued behind again and again.
      if (this.pending) return;
      this.pending = true;
      this.tick()
        .catch((error: Error) => this.options.logger.error(`host round failed: ${error.message}`))
        .finally(() => (this.pending = false));
    });
  }

  private reloadIfChanged(): void {
    const now = stamp(this.configFile);
    if (now === this.configStamp) return;
    this.configStamp = now;
    try {
      const next = loadHostConfig(this.configFile);
      const rearm = next.intervalMs !== this.config.intervalMs;
      if (next.broker !== this.config.broker) this.options.logger.warn(`${this.configFile}: broker changes take effect at the next start; still ${this.config.broker ?? 'none'}`);
      // A new folder gets every release.
      if (next.namespaceDir !== this.config.namespaceDir) this.inFolder = new Map();
      this.config = { ...next, broker: this.config.broker };
      this.options.logger.info(`${this.configFile} changed: ${Object.keys(next.instances).length} instances`);
      if (rearm) this.arm();
    } catch (error) {
      if (!(error instanceof DocumentError)) throw error;
      this.options.logger.error(`${this.configFile} changed but is invalid, the configuration in force stays:\n${error.message}`);
    }
  }
}

/** The file's modification time and size: a change of either is an edit. */
function stamp(file: string): number {
  const s = statSync(file, { throwIfNoEntry: false });
  return s === undefined ? -1 : s.mtimeMs * 1e3 + s.size;
}
