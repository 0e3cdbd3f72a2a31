import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { silentLogger, type Logger } from '../common/logger.js';
import { Topics, type ContextPayload, type DecisionPayload, type PersonalityPayload, type StatePublisher, type StatusPayload, type SwitchPayload } from './contract.js';

export interface PublisherOptions {
  url: string;
  ecuId: string;
  /** The `online` status, sent on every (re)connect. */
  online: StatusPayload;
  logger?: Logger;
  /** Milliseconds between reconnect attempts. */
  reconnectPeriodMs?: number;
}

const OFFLINE: StatusPayload = { state: 'offline' };

/**
 * Publishes persona's state under `persona/<ecu-id>/`. State topics are retained and
 * last-value: while disconnected they are only remembered, and republished on connect.
 * Events are dropped (and counted) while disconnected rather than queued without bound.
 */
export class StatusPublisher implements StatePublisher {
  readonly topics: Topics;
  /** Events not delivered because the broker was unreachable. */
  droppedEvents = 0;
  private client: MqttClient | undefined;
  private readonly retained = new Map<string, string>();
  private readonly log: Logger;

  constructor(private readonly options: PublisherOptions) {
    this.topics = new Topics(options.ecuId);
    this.log = options.logger ?? silentLogger;
  }

  /** Connects; resolves on the first connection, rejects if the broker refuses or is unreachable. */
  async start(): Promise<void> {
    const clientOptions: IClientOptions = {
      clientId: `persona-${this.options.ecuId}`,
      clean: true,
      queueQoSZero: false,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1000,
      connectTimeout: 5000,
      will: { topic: this.topics.status, payload: Buffer.from(JSON.stringify(OFFLINE)), qos: 1, retain: true },
    };
    const client = await mqtt.connectAsync(this.options.url, clientOptions, false);
    this.client = client;
    client.on('connect', () => {
      this.log.info(`reconnected to ${this.options.url}`);
      this.republish();
    });
    client.on('offline', () => this.log.warn(`broker ${this.options.url} unreachable; state will be republished on reconnect`));
    client.on('error', (err) => this.log.warn(`mqtt: ${err.message}`));
    this.republish();
  }

  publishContext(payload: ContextPayload): void {
    this.publishState(this.topics.stateContext, payload);
  }

  publishPersonality(payload: PersonalityPayload): void {
    this.publishState(this.topics.statePersonality, payload);
  }

  publishDecision(payload: DecisionPayload): void {
    this.publishState(this.topics.stateDecision, payload);
  }

  publishSwitch(payload: SwitchPayload): void {
    if (!this.client?.connected) {
      this.droppedEvents++;
      return;
    }
    this.client.publish(this.topics.eventSwitch, JSON.stringify(payload), { qos: 1, retain: false });
  }

  /** Publishes `offline`, waits for it to be delivered, then disconnects. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      await client.publishAsync(this.topics.status, JSON.stringify(OFFLINE), { qos: 1, retain: true }).catch((err: Error) => this.log.warn(`offline status not delivered: ${err.message}`));
    }
    await client.endAsync();
  }

  private publishState(topic: string, payload: object): void {
    const text = JSON.stringify(payload);
    this.retained.set(topic, text);
    if (this.client?.connected) this.client.publish(topic, text, { qos: 1, retain: true });
  }

  private republish(): void {
    const client = this.client;
    if (!client) return;
    client.publish(this.topics.status, JSON.stringify(this.options.online), { qos: 1, retain: true });
    for (const [topic, text] of this.retained) client.publish(topic, text, { qos: 1, retain: true });
  }
}
