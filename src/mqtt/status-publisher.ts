import { randomUUID } from 'node:crypto';
import type { IClientOptions, IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import { silentLogger, type Logger } from '../common/logger.js';
import { Topics, type ContextPayload, type DecisionPayload, type DriftPayload, type HealthPayload, type HoldsPayload, type InfoPayload, type ManifestEventPayload, type NamespacePayload, type PersonalityPayload, type RejectedPayload, type StatePublisher, type StatusPayload, type SwitchPayload, type WorkloadPayload } from './contract.js';
import { MAX_DOCUMENT_BYTES } from '../manifests/bounded-json.js';
import { sendWithoutDelay } from './no-delay.js';
import { credentialClientOptions, type BrokerCredentials } from './broker-credentials.js';
import { matches } from './topic-filter.js';

export interface ConnectionOptions extends BrokerCredentials {
  url: string;
}

export interface PublisherOptions extends ConnectionOptions {
  ecuId: string;
  /** The `online` status, sent on every (re)connect. */
  online: StatusPayload;
  logger?: Logger;
  /** First and longest wait between reconnect attempts; each wait is jittered by ±50 %. */
  reconnectMs?: { initial: number; max: number };
  /** Events kept while disconnected; the oldest go first when it is full. */
  eventBuffer?: number;
  /** How long a publish may take before it is given up and logged. */
  publishTimeoutMs?: number;
}

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

const OFFLINE: StatusPayload = { state: 'offline' };
/**
 * The largest MQTT packet the daemon takes (MQTT v5 CONNECT's Maximum Packet Size, so the
 * broker never sends a bigger one): a signed document of the shared namespace at its cap,
 * with 64 KiB to spare for the topic and properties. Requests are capped far lower.
 */
export const MAX_INBOUND_PACKET_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024;
/** MQTT CONNACK return code 1 (3.1.1): the broker does not speak this protocol version. */
const UNACCEPTABLE_PROTOCOL = 1;

/**
 * The daemon's MQTT connection. State topics are retained and last-value, each with `seq`
 * and `bootId` so consumers notice restarts: while disconnected they are only remembered,
 * and republished on connect. Events go to a bounded buffer that drops the oldest and
 * counts the drops. Reconnects back off exponentially with jitter. MQTT v5 where the broker
 * has it (response topics, correlation data), 3.1.1 otherwise.
 */
export class StatusPublisher implements StatePublisher {
  readonly topics: Topics;
  readonly bootId = randomUUID();
  /** Events dropped because the buffer was full while the broker was unreachable. */
  droppedEvents = 0;
  protocolVersion: 4 | 5 = 5;
  private client: MqttClient | undefined;
  private readonly retained = new Map<string, string>();
  private readonly pendingEvents: Array<{ topic: string; text: string }> = [];
  private readonly subscriptions = new Map<string, MessageHandler>();
  private readonly log: Logger;
  private seq = 0;
  private attempts = 0;
  private degraded: string | undefined;
  private readonly stopHooks: Array<() => void> = [];

  constructor(private readonly options: PublisherOptions) {
    this.topics = new Topics(options.ecuId);
    this.log = options.logger ?? silentLogger;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Connects; resolves on the first connection, rejects if the broker refuses or is unreachable. */
  async start(): Promise<void> {
    // Loaded only to connect: a simulation builds the daemon with another publisher and never needs MQTT.js.
    const { default: mqtt } = await import('mqtt');
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(this.options.url, this.clientOptions(5), false);
    } catch (err) {
      if ((err as { code?: number }).code !== UNACCEPTABLE_PROTOCOL) throw err;
      this.log.info('the broker does not speak MQTT v5; using 3.1.1 (answers go to client/<client>/response/<action> only)');
      this.protocolVersion = 4;
      client = await mqtt.connectAsync(this.options.url, this.clientOptions(4), false);
    }
    this.client = client;
    client.on('connect', () => {
      this.attempts = 0;
      this.log.info(`reconnected to ${this.options.url}`);
      this.onConnected();
    });
    client.on('reconnect', () => {
      // mqtt.js waits reconnectPeriod before each attempt: grow it, with jitter, up to the cap.
      const { initial, max } = this.options.reconnectMs ?? { initial: 1000, max: 30_000 };
      client.options.reconnectPeriod = Math.round(Math.min(max, initial * 2 ** ++this.attempts) * (0.5 + Math.random()));
    });
    client.on('offline', () => this.log.warn(`broker ${this.options.url} unreachable; state will be republished and events (up to ${this.eventCapacity()}) sent on reconnect`));
    client.on('error', (err) => this.log.warn(`mqtt: ${err.message}`));
    client.on('message', (topic, payload, packet) => {
      for (const [filter, handler] of this.subscriptions) if (matches(filter, topic)) handler(topic, payload, packet);
    });
    this.onConnected();
  }

  /**
   * Receives messages on `filter` (kept across reconnects). On MQTT v5 the retain flag is
   * kept as published, so a handler can tell a retained message from a live one.
   */
  subscribe(filter: string, handler: MessageHandler): void {
    this.subscriptions.set(filter, handler);
    if (this.client?.connected) this.client.subscribe(filter, this.subscribeOptions());
  }

  /** Publishes once, now, if connected (answers to requests); false when it could not. */
  publishNow(topic: string, payload: object, options: IClientPublishOptions = { qos: 1 }): boolean {
    if (!this.client?.connected) return false;
    this.send(topic, JSON.stringify(payload), options);
    return true;
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

  publishHolds(payload: HoldsPayload): void {
    this.publishState(this.topics.stateHolds, payload);
  }

  publishWorkload(payload: WorkloadPayload): void {
    this.publishState(this.topics.stateWorkload, payload);
  }

  publishNamespace(payload: NamespacePayload): void {
    this.publishState(this.topics.stateNamespace, payload);
  }

  publishRejected(payload: RejectedPayload): void {
    this.publishEvent(this.topics.eventRejected, payload);
  }

  publishInfo(payload: InfoPayload): void {
    this.publishState(this.topics.info, payload);
  }

  publishManifestEvent(payload: ManifestEventPayload): void {
    this.publishEvent(this.topics.eventManifest, payload);
  }

  publishDrift(payload: DriftPayload): void {
    this.publishEvent(this.topics.eventDrift, payload);
  }

  publishHealth(payload: HealthPayload): void {
    this.publishEvent(this.topics.eventHealth, payload);
  }

  setDegraded(reason: string | undefined): void {
    if (reason === this.degraded) return;
    this.degraded = reason;
    if (this.client?.connected) this.send(this.topics.status, JSON.stringify(this.statusPayload()), { qos: 1, retain: true });
  }

  private statusPayload(): StatusPayload {
    return {
      ...this.options.online,
      ...(this.degraded !== undefined ? { state: 'degraded', reason: this.degraded } : {}),
      ...(this.droppedEvents > 0 ? { droppedEvents: this.droppedEvents } : {}),
    };
  }

  private publishState(topic: string, payload: object): void {
    const text = JSON.stringify({ ...payload, seq: ++this.seq, bootId: this.bootId });
    this.retained.set(topic, text);
    if (this.client?.connected) this.send(topic, text, { qos: 1, retain: true });
  }

  publishSwitch(payload: SwitchPayload): void {
    this.publishEvent(this.topics.eventSwitch, payload);
  }

  private publishEvent(topic: string, payload: object): void {
    const text = JSON.stringify({ ...payload, bootId: this.bootId });
    if (this.client?.connected) return this.send(topic, text, { qos: 1, retain: false });
    this.pendingEvents.push({ topic, text });
    if (this.pendingEvents.length > this.eventCapacity()) {
      this.pendingEvents.shift();
      this.droppedEvents++;
    }
  }

  /** Publishes `offline`, waits for it to be delivered, then disconnects. */
  /** Runs `fn` when the publisher stops: for what lives as long as the connection (timers of the request API). */
  onStop(fn: () => void): void {
    this.stopHooks.push(fn);
  }

  async stop(): Promise<void> {
    for (const fn of this.stopHooks.splice(0)) fn();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      await withTimeout(client.publishAsync(this.topics.status, JSON.stringify(OFFLINE), { qos: 1, retain: true }), this.timeoutMs()).catch((err: Error) =>
        this.log.warn(`offline status not delivered: ${err.message}`),
      );
    }
    await client.endAsync();
  }

  private clientOptions(protocolVersion: 4 | 5): IClientOptions {
    return {
      clientId: `persona-${this.options.ecuId}`,
      protocolVersion,
      clean: true,
      queueQoSZero: false,
      reconnectPeriod: this.options.reconnectMs?.initial ?? 1000,
      connectTimeout: 5000,
      will: { topic: this.topics.status, payload: Buffer.from(JSON.stringify(OFFLINE)), qos: 1, retain: true },
      // MQTT v5: the broker sends nothing bigger (it drops such a message for this client). A 3.1.1
      // CONNECT cannot say so; there the request server's own cap is the only bound.
      ...(protocolVersion === 5 ? { properties: { maximumPacketSize: MAX_INBOUND_PACKET_BYTES } } : {}),
      ...credentialClientOptions(this.options),
    };
  }

  private onConnected(): void {
    const client = this.client;
    if (!client) return;
    sendWithoutDelay(client);
    this.send(this.topics.status, JSON.stringify(this.statusPayload()), { qos: 1, retain: true });
    for (const [topic, text] of this.retained) this.send(topic, text, { qos: 1, retain: true });
    for (const { topic, text } of this.pendingEvents.splice(0)) this.send(topic, text, { qos: 1, retain: false });
    if (this.droppedEvents > 0) this.log.warn(`${this.droppedEvents} events were dropped while the broker was unreachable`);
    for (const filter of this.subscriptions.keys()) client.subscribe(filter, this.subscribeOptions());
  }

  private subscribeOptions(): { qos: 1; rap?: boolean } {
    return this.protocolVersion === 5 ? { qos: 1, rap: true } : { qos: 1 };
  }

  private send(topic: string, text: string, options: IClientPublishOptions): void {
    const client = this.client;
    if (!client) return;
    withTimeout(client.publishAsync(topic, text, options), this.timeoutMs()).catch((err: Error) => this.log.warn(`publish to ${topic} failed: ${err.message}`));
  }

  private eventCapacity(): number {
    return this.options.eventBuffer ?? 256;
  }

  private timeoutMs(): number {
    return this.options.publishTimeoutMs ?? 10_000;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
