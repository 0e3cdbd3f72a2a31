import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { Topics, type Action, type ResponsePayload } from '../mqtt/contract.js';
import { EXIT_FAILURE, UsageError, type Output } from './output.js';
import { sendWithoutDelay } from '../mqtt/no-delay.js';
import { matches } from '../mqtt/status-publisher.js';

/** The flags every command that talks to a running daemon takes, for `parseArgs`. */
export const SESSION_FLAGS = {
  broker: { type: 'string' },
  'ecu-id': { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

export const SESSION_FLAGS_HELP = `  --broker URL      the daemon's MQTT broker (default mqtt://127.0.0.1:1883)
  --ecu-id ID       the daemon's ECU id, persona/<ecu-id>/ (default demo-ecu)
  --timeout-ms N    how long to wait for the broker and the daemon (default 5000)`;

export interface SessionOptions {
  url: string;
  topics: Topics;
  timeoutMs: number;
  /** Default: persona-cli-<random>, unique per process. */
  clientId?: string;
  /**
   * Say `online` on client/<client-id>/presence (retained, with a retained last will `offline`) and
   * `offline` on close: the daemon keeps this client's holds only while it is present.
   */
  presence?: boolean;
}

/** Session options from the command line's flags; `defaultTimeoutMs` lets `why` keep its 3 s. */
export function sessionOptions(values: { broker?: string; 'ecu-id'?: string; 'timeout-ms'?: string }, defaultTimeoutMs = 5000): SessionOptions {
  const timeoutMs = Number(values['timeout-ms'] ?? defaultTimeoutMs);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout-ms must be a whole number of milliseconds ≥ 1, got "${values['timeout-ms']}"`);
  let topics: Topics;
  try {
    topics = new Topics(values['ecu-id'] ?? 'demo-ecu');
  } catch (err) {
    throw new UsageError(`--ecu-id: ${(err as Error).message}`);
  }
  return { url: values.broker ?? 'mqtt://127.0.0.1:1883', topics, timeoutMs };
}

/** The daemon did not answer a request within the timeout. */
class NoAnswerError extends Error {}

/** The broker said no to a subscription or a publish: its ACL, most likely. */
class BrokerRefusedError extends Error {}

/** MQTT CONNACK return code 1 (3.1.1): the broker does not speak this protocol version. */
const UNACCEPTABLE_PROTOCOL = 1;

type Listener = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/**
 * A short-lived client of a running daemon. Requests go to its own
 * `client/<client-id>/request/<action>` and answers come to its own
 * `client/<client-id>/response/<action>`: matched by random correlation data on MQTT v5 where
 * the broker has it, by a random `transaction` on 3.1.1.
 */
export class MqttSession {
  readonly topics: Topics;
  /** The broker, for messages (without a password from the URL). */
  readonly url: string;
  readonly timeoutMs: number;
  readonly clientId: string;
  /** Resolves with the reason when the broker goes away before close(). */
  readonly lost: Promise<Error>;
  private readonly listeners = new Set<Listener>();
  private readonly subscribed = new Set<string>();
  private closing = false;
  private syncs = 0;

  private constructor(
    private readonly client: MqttClient,
    readonly protocolVersion: 4 | 5,
    private readonly options: SessionOptions & { clientId: string },
  ) {
    this.topics = options.topics;
    this.url = withoutPassword(options.url);
    this.timeoutMs = options.timeoutMs;
    this.clientId = options.clientId;
    client.on('message', (topic, payload, packet) => {
      for (const listener of this.listeners) listener(topic, payload, packet);
    });
    let lastError: Error | undefined;
    // Without a listener, an 'error' event would throw; the reason is reported by `lost`.
    client.on('error', (err) => (lastError = err));
    this.lost = new Promise((resolve) =>
      client.on('close', () => {
        if (!this.closing) resolve(lastError ?? new Error('the broker closed the connection'));
      }),
    );
  }

  /** Connects, with MQTT v5 or, when the broker refuses it, 3.1.1; rejects when the broker can't be reached. */
  static async open(options: SessionOptions): Promise<MqttSession> {
    const withId = { ...options, clientId: options.clientId ?? `persona-cli-${randomBytes(4).toString('hex')}` };
    let session: MqttSession;
    try {
      session = new MqttSession(await mqtt.connectAsync(options.url, clientOptions(withId, 5), false), 5, withId);
    } catch (err) {
      if ((err as { code?: number }).code !== UNACCEPTABLE_PROTOCOL) throw err;
      session = new MqttSession(await mqtt.connectAsync(options.url, clientOptions(withId, 4), false), 4, withId);
    }
    sendWithoutDelay(session.client);
    if (options.presence) await session.client.publishAsync(session.presenceTopic(), 'online', { qos: 1, retain: true });
    return session;
  }

  /** Sends request/<action> and resolves with the daemon's answer; NoAnswerError after the timeout. */
  async request(action: Action, body: Record<string, unknown>): Promise<ResponsePayload> {
    const { topics } = this;
    const id = randomBytes(16);
    let payload: Record<string, unknown> = body;
    let isAnswer: (topic: string, answer: ResponsePayload, packet: IPublishPacket) => boolean;
    let properties: { responseTopic: string; correlationData: Buffer } | undefined;
    const answerTopic = topics.clientResponse(this.clientId, action);
    if (this.protocolVersion === 5) {
      properties = { responseTopic: answerTopic, correlationData: id };
      isAnswer = (topic, _answer, packet) => topic === answerTopic && packet.properties?.correlationData?.equals(id) === true;
    } else {
      const transaction = id.toString('hex');
      // First: an answer to a request too big to read still carries it.
      payload = { transaction, ...body };
      isAnswer = (topic, answer) => topic === answerTopic && answer.transaction === transaction;
    }
    await this.subscribe([answerTopic]);
    const giveUp = new AbortController();
    const answered = this.waitFor<ResponsePayload>(
      (topic, text, packet) => {
        const answer = parseObject(text) as ResponsePayload | undefined;
        return answer && isAnswer(topic, answer, packet) ? answer : undefined;
      },
      `the daemon did not answer request/${action} within ${this.timeoutMs} ms`,
      giveUp.signal,
    );
    const sent = this.client.publishAsync(topics.clientRequest(this.clientId, action), JSON.stringify(payload), { qos: 1, ...(properties ? { properties } : {}) }).catch((err: Error) => {
      // No answer can come: stop waiting, so the process need not sit out the timeout.
      giveUp.abort();
      throw refusal(err, `${this.clientId}'s request/${action}`);
    });
    // Awaited together, so whichever fails first is observed.
    const [answer] = await Promise.all([answered, sent]);
    return answer;
  }

  /**
   * The retained messages of `topics`: once the broker has sent what it holds and every
   * `required` topic is in, or at the timeout with whatever came. Mosquitto sends the retained
   * messages of a subscription before it answers the next SUBSCRIBE, so a second one marks
   * their end without a publish (which an ACL may forbid); a broker that streams them later
   * (Aedes) is waited for until the required ones are in.
   */
  async readRetained(topics: readonly string[], required: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const collect: Listener = (topic, payload) => {
      if (topics.includes(topic)) found.set(topic, payload.toString('utf8'));
    };
    this.listeners.add(collect);
    try {
      await this.subscribe(topics);
      await this.subscribe([this.clientTopic(`sync/${++this.syncs}`)]);
      const complete = (): true | undefined => (required.every((t) => found.has(t)) ? true : undefined);
      // The timeout ends the wait with whatever arrived; the caller judges what is missing.
      if (!complete()) await this.waitFor(complete, 'timed out').catch(() => undefined);
      return found;
    } finally {
      this.listeners.delete(collect);
    }
  }

  /**
   * Every retained message under wildcard `filters`, as `readRetained` reads them: the
   * subscription that follows marks their end on a broker that sends them first.
   */
  async readRetainedMatching(filters: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const collect: Listener = (topic, payload, packet) => {
      if (packet.retain && filters.some((f) => matches(f, topic))) found.set(topic, payload.toString('utf8'));
    };
    this.listeners.add(collect);
    try {
      await this.subscribe(filters);
      const marker = this.clientTopic(`sync/${++this.syncs}`);
      await this.subscribe([marker]);
      return found;
    } finally {
      this.listeners.delete(collect);
    }
  }

  /** Calls `listener` for every message on `topics` until close(). */
  async listen(topics: readonly string[], listener: (topic: string, text: string, retained: boolean) => void): Promise<void> {
    this.listeners.add((topic, payload, packet) => {
      if (topics.includes(topic)) listener(topic, payload.toString('utf8'), packet.retain);
    });
    await this.subscribe(topics);
  }

  /** Says `offline` first when this session has presence, then disconnects. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.options.presence && this.client.connected) await this.client.publishAsync(this.presenceTopic(), 'offline', { qos: 1, retain: true });
    await this.client.endAsync();
  }

  private async subscribe(topics: readonly string[]): Promise<void> {
    const fresh = topics.filter((t) => !this.subscribed.has(t));
    if (fresh.length === 0) return;
    await this.client.subscribeAsync(fresh, { qos: 1 }).catch((err: Error) => {
      throw refusal(err, `to let ${this.clientId} read ${fresh.join(', ')}`);
    });
    for (const t of fresh) this.subscribed.add(t);
  }

  /**
   * Resolves with the first message `match` maps to a value; rejects with NoAnswerError after
   * the timeout; once `signal` aborts, stops listening and never settles.
   */
  private waitFor<T>(match: (topic: string, text: string, packet: IPublishPacket) => T | undefined, timeoutMessage: string, signal?: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener: Listener = (topic, payload, packet) => {
        const value = match(topic, payload.toString('utf8'), packet);
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new NoAnswerError(timeoutMessage));
      }, this.timeoutMs);
      this.listeners.add(listener);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** This process's own topics (answers, sync markers), under persona/<ecu-id>/client/<client-id>/. */
  private clientTopic(leaf: string): string {
    return this.topics.client(this.clientId, leaf);
  }

  private presenceTopic(): string {
    return this.topics.presenceOf(this.clientId);
  }
}

function clientOptions(options: SessionOptions & { clientId: string }, protocolVersion: 4 | 5): IClientOptions {
  return {
    clientId: options.clientId,
    protocolVersion,
    clean: true,
    // A CLI run is short: a lost broker ends it instead of retrying in the background.
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs,
    queueQoSZero: false,
    ...(options.presence ? { will: { topic: options.topics.presenceOf(options.clientId), payload: Buffer.from('offline'), qos: 1 as const, retain: true } } : {}),
  };
}

/** A broker's reason code (an ACL's "not authorized") as a BrokerRefusedError; any other error as it is. */
function refusal(err: Error & { code?: unknown }, what: string): Error {
  return typeof err.code === 'number' ? new BrokerRefusedError(`the broker refused ${what} (${err.message}): does its ACL allow it?`) : err;
}

/** mqtt://user:secret@host as mqtt://user:***@host: messages end up in logs. */
function withoutPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function parseObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens a session for `command`, runs `use`, and closes it. An unreachable or refusing broker
 * and a daemon that does not answer become one line on stderr and exit code 1.
 */
export async function withSession(command: string, options: SessionOptions, out: Output, use: (session: MqttSession) => Promise<number>): Promise<number> {
  let session: MqttSession;
  try {
    session = await MqttSession.open(options);
  } catch (err) {
    out.log(`persona ${command}: cannot reach the MQTT broker at ${withoutPassword(options.url)}: ${(err as Error).message}`);
    return EXIT_FAILURE;
  }
  try {
    return await use(session);
  } catch (err) {
    if (err instanceof BrokerRefusedError) out.log(`persona ${command}: ${err.message}`);
    else if (err instanceof NoAnswerError) out.log(`persona ${command}: ${err.message} (${options.topics.root}/ at ${session.url}): is it running with this --ecu-id?`);
    else throw err;
    return EXIT_FAILURE;
  } finally {
    await session.close();
  }
}

/** Prints a refusal as `persona <command>: <status> <error>` (and its JSON path); the exit code of an answer. */
export function reportAnswer(command: string, answer: ResponsePayload, out: Output): number {
  if (answer.status === 200) return 0;
  out.log(`persona ${command}: ${answer.status} ${answer.error ?? 'refused'}${answer.path !== undefined ? ` (at ${answer.path || '/'})` : ''}`);
  return EXIT_FAILURE;
}
