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
import { readReleases } from './release-catalog.js';

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
  /** What was last distributed at each place, so unchanged files are not rewritten. */
  private readonly distributed = new Map<string, Buffer>();

  /** @throws DocumentError when the configuration is invalid */
  constructor(
    private readonly configFile: string,
    private readonly options: HostAgentOptions,
  ) {
    this.config = loadHostConfig(configFile);
    this.configStamp = stamp(configFile);
  }

  get instances(): Readonly<Record<string, HostInstance>> {
    return this.config.instances;
  }

  async start(): Promise<void> {
    if (this.config.broker !== undefined) {
      this.client = await mqtt.connectAsync(this.config.broker, { clientId: `persona-host-${process.pid}`, reconnectPeriod: 1000, protocolVersion: 5 });
      sendWithoutDelay(this.client);
    }
    await this.tick();
    this.arm();
  }

  async stop(): Promise<void> {
    this.cancel?.();
    await this.client?.endAsync();
  }

  /** One round: configuration, contexts, releases. */
  async tick(): Promise<void> {
    this.reloadIfChanged();
    const pressure = this.options.pressure();
    const updated = new Date(Math.floor((this.options.now ?? Date.now)())).toISOString();
    for (const [id, instance] of Object.entries(this.config.instances)) {
      const document: InstanceContextDocument = {
        format: 1,
        instance: id,
        role: instance.role,
        resources: instance.resources === 'auto' ? (pressure !== null && pressure > instance.constrainedAbove ? 'constrained' : 'normal') : instance.resources,
        hostPressure: pressure === null ? null : Math.round(pressure * 100) / 100,
        updated,
        ...(instance.limits ? { limits: instance.limits } : {}),
      };
      const bytes = Buffer.from(`${JSON.stringify(document, null, 2)}\n`);
      if (this.config.namespaceDir !== undefined) writeDurably(contextFile(this.config.namespaceDir, id), bytes);
      await this.client?.publishAsync(contextTopic(id), bytes, { qos: 1, retain: true });
    }
    for (const release of readReleases(this.config.releases, this.options.logger).values()) {
      if (this.distributed.get(release.path)?.equals(release.bytes)) continue;
      if (this.config.namespaceDir !== undefined) writeDurably(join(personalitiesFolder(this.config.namespaceDir), release.path), release.bytes);
      await this.client?.publishAsync(personalityTopic(release.path), release.bytes, { qos: 1, retain: true });
      this.distributed.set(release.path, release.bytes);
      this.options.logger.info(`distributed ${release.path} version ${release.version} from ${release.file}`);
    }
  }

  private arm(): void {
    this.cancel?.();
    this.cancel = this.options.clock.every(this.config.intervalMs, () => {
      this.tick().catch((error: Error) => this.options.logger.error(`host round failed: ${error.message}`));
    });
  }

  private reloadIfChanged(): void {
    const now = stamp(this.configFile);
    if (now === this.configStamp) return;
    this.configStamp = now;
    try {
      const next = loadHostConfig(this.configFile);
      const rearm = next.intervalMs !== this.config.intervalMs;
      this.config = next;
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
