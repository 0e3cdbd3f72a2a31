import { randomBytes, X509Certificate } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { credentialClientOptions, CredentialFileError, readBrokerCredentials, type BrokerCredentialFiles, type BrokerCredentials, type CredentialFileField } from '../mqtt/broker-credentials.js';
import { Topics, type Action, type ResponsePayload } from '../mqtt/contract.js';
import { EXIT_CONFIG, EXIT_FAILURE, UsageError, type Output } from './output.js';
import { sendWithoutDelay } from '../mqtt/no-delay.js';
import { matches } from '../mqtt/topic-filter.js';

/** How a command proves who it is to the broker, and which broker it trusts, for `parseArgs`. */
export const CREDENTIAL_FLAGS = {
  'ca-file': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
  // Only to refuse it with the reason: a password in a command line is there for every user to read.
  password: { type: 'string' },
} as const;

/** The flags every command that talks to a running daemon takes, for `parseArgs`. */
export const SESSION_FLAGS = {
  broker: { type: 'string' },
  'ecu-id': { type: 'string' },
  'timeout-ms': { type: 'string' },
  ...CREDENTIAL_FLAGS,
} as const;

export const CREDENTIAL_FLAGS_HELP = `  --ca-file FILE    PEM CA that signed an mqtts:// broker's certificate (default: the system's)
  --cert FILE       PEM client certificate, for a broker that asks for one; with --key
  --key FILE        PEM private key of --cert
  --username NAME   the name the broker knows you by; requests go on persona/<ecu-id>/client/NAME/
                    (default: the common name of --cert, as Mosquitto's use_identity_as_username
                    takes it, else this run's client id, persona-cli-<random>)
  --password-file FILE
                    the password of --username, from a file (never on the command line); the
                    line end at its end is not part of it`;

export const SESSION_FLAGS_HELP = `  --broker URL      the daemon's MQTT broker, mqtt:// or mqtts:// (default mqtt://127.0.0.1:1883)
  --ecu-id ID       the daemon's ECU id, persona/<ecu-id>/ (default demo-ecu)
  --timeout-ms N    how long to wait for the broker and the daemon (default 5000)
${CREDENTIAL_FLAGS_HELP}`;

/** The exit codes every command that talks to a running daemon shares, for its help. */
export const SESSION_EXIT_HELP = `  exits 1 when the broker cannot be reached or refuses, or the daemon does not answer or
  refuses; 2 when a file a flag names cannot be read`;

/** What the flag of each credential file is called, for messages. */
const FLAG_OF: Record<CredentialFileField, string> = { passwordFile: '--password-file', caFile: '--ca-file', certFile: '--cert', keyFile: '--key' };

export interface SessionOptions {
  url: string;
  topics: Topics;
  timeoutMs: number;
  /** The MQTT client id. Default: persona-cli-<random>, unique per process, so two runs never take each other's connection. */
  clientId?: string;
  /**
   * The `<client>` of this session's topics, `client/<client>/…`: the name the broker
   * authenticated (the shipped ACL keys on the username). Default: the username of
   * `credentials`, else the client id (for a broker without users).
   */
  client?: string;
  /** TLS material and credentials, as read. */
  credentials?: BrokerCredentials;
  /**
   * Say `online` on client/<client>/presence (retained, with a retained last will `offline`) and
   * `offline` on close: the daemon keeps this client's holds only while it is present.
   */
  presence?: boolean;
}

/** Session options as the command line gives them: the credentials still in their files, read by withSession. */
export interface CommandSessionOptions extends Omit<SessionOptions, 'credentials'> {
  credentialFiles: BrokerCredentialFiles;
}

/** The values of SESSION_FLAGS (or of CREDENTIAL_FLAGS with --broker and --timeout-ms) from `parseArgs`. */
export interface SessionFlagValues {
  broker?: string;
  'ecu-id'?: string;
  'timeout-ms'?: string;
  'ca-file'?: string;
  cert?: string;
  key?: string;
  username?: string;
  'password-file'?: string;
  password?: string;
}

/** Session options from the command line's flags; `defaultTimeoutMs` lets `why` keep its 3 s. */
export function sessionOptions(values: SessionFlagValues, defaultTimeoutMs = 5000): CommandSessionOptions {
  const timeoutMs = Number(values['timeout-ms'] ?? defaultTimeoutMs);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout-ms must be a whole number of milliseconds ≥ 1, got "${values['timeout-ms']}"`);
  let topics: Topics;
  try {
    topics = new Topics(values['ecu-id'] ?? 'demo-ecu');
  } catch (err) {
    throw new UsageError(`--ecu-id: ${(err as Error).message}`);
  }
  if (values.password !== undefined) throw new UsageError('--password: a password on the command line is there for every user of this machine to read (ps, shell history); put it in a file and give --password-file');
  const url = values.broker ?? 'mqtt://127.0.0.1:1883';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--broker takes a URL like mqtt://127.0.0.1:1883 or mqtts://broker:8883, got "${url}"`);
  }
  if (parsed.password !== '') throw new UsageError(`--broker: a password in the URL is there for every user of this machine to read (ps, shell history); give --username and --password-file`);
  const fromUrl = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  if (fromUrl !== undefined && values.username !== undefined && fromUrl !== values.username) throw new UsageError(`--broker names the user "${fromUrl}" and --username "${values.username}": give one`);
  const username = values.username ?? fromUrl;
  if (username !== undefined && !isTopicLevel(username)) throw new UsageError(`--username "${username}": a name with /, + or # cannot be the <client> of a topic, and the shipped ACL never matches it`);
  if (values['password-file'] !== undefined && username === undefined) throw new UsageError('--password-file: whose password? give --username too');
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError(values.cert === undefined ? '--key: give the client certificate with --cert too' : '--cert: give its private key with --key too');
  const tls = values['ca-file'] !== undefined || values.cert !== undefined;
  if (tls && !/^(mqtts|tls|ssl|wss):$/.test(parsed.protocol)) throw new UsageError(`--ca-file, --cert and --key are for a TLS broker (mqtts://), but --broker is ${parsed.protocol}//: the password and requests would go in the clear`);
  return {
    url,
    topics,
    timeoutMs,
    credentialFiles: { username, passwordFile: values['password-file'], caFile: values['ca-file'], certFile: values.cert, keyFile: values.key },
  };
}

/**
 * The session flags of `values` as words for a shell, to print a follow-up command that reaches
 * the same daemon the same way (quoted where a shell would split or expand them).
 */
export function sessionFlagsAgain(values: SessionFlagValues): string[] {
  const names = ['broker', 'ecu-id', 'ca-file', 'cert', 'key', 'username', 'password-file'] as const;
  return names.flatMap((name) => (values[name] === undefined ? [] : [`--${name}`, shellWord(values[name])]));
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Whether `name` can be one level of a topic (no `/`, no wildcard), as a `<client>` must. */
function isTopicLevel(name: string): boolean {
  return name !== '' && !/[/+#]/.test(name);
}

/** The common name of a PEM certificate's subject, or undefined when it has none or is no certificate. */
function commonNameOf(pem: string): string | undefined {
  try {
    return /^CN=(.*)$/m.exec(new X509Certificate(pem).subject)?.[1];
  } catch {
    return undefined;
  }
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
 * `client/<client>/request/<action>` and answers come to its own
 * `client/<client>/response/<action>`: matched by random correlation data on MQTT v5 where
 * the broker has it, by a random `transaction` on 3.1.1. `<client>` is the name the broker
 * authenticated; the MQTT client id stays random, so two runs under one name can overlap.
 */
export class MqttSession {
  readonly topics: Topics;
  /** The broker, for messages (without a password from the URL). */
  readonly url: string;
  readonly timeoutMs: number;
  readonly clientId: string;
  /** The `<client>` of its topics, and the owner of the holds it places. */
  readonly client: string;
  /** Resolves with the reason when the broker goes away before close(). */
  readonly lost: Promise<Error>;
  private readonly listeners = new Set<Listener>();
  private readonly subscribed = new Set<string>();
  private closing = false;
  private syncs = 0;

  private constructor(
    private readonly connection: MqttClient,
    readonly protocolVersion: 4 | 5,
    private readonly options: SessionOptions & { clientId: string; client: string },
  ) {
    this.topics = options.topics;
    this.url = withoutPassword(options.url);
    this.timeoutMs = options.timeoutMs;
    this.clientId = options.clientId;
    this.client = options.client;
    connection.on('message', (topic, payload, packet) => {
      for (const listener of this.listeners) listener(topic, payload, packet);
    });
    let lastError: Error | undefined;
    // Without a listener, an 'error' event would throw; the reason is reported by `lost`.
    connection.on('error', (err) => (lastError = err));
    this.lost = new Promise((resolve) =>
      connection.on('close', () => {
        if (!this.closing) resolve(lastError ?? new Error('the broker closed the connection'));
      }),
    );
  }

  /** Connects, with MQTT v5 or, when the broker refuses it, 3.1.1; rejects when the broker can't be reached. */
  static async open(options: SessionOptions): Promise<MqttSession> {
    const clientId = options.clientId ?? `persona-cli-${randomBytes(4).toString('hex')}`;
    const withId = { ...options, clientId, client: options.client ?? options.credentials?.username ?? clientId };
    let session: MqttSession;
    try {
      session = new MqttSession(await mqtt.connectAsync(options.url, clientOptions(withId, 5), false), 5, withId);
    } catch (err) {
      if ((err as { code?: number }).code !== UNACCEPTABLE_PROTOCOL) throw err;
      session = new MqttSession(await mqtt.connectAsync(options.url, clientOptions(withId, 4), false), 4, withId);
    }
    sendWithoutDelay(session.connection);
    if (options.presence) await session.connection.publishAsync(session.presenceTopic(), 'online', { qos: 1, retain: true });
    return session;
  }

  /** Sends client/<client>/request/<action> and resolves with the daemon's answer; NoAnswerError after the timeout. */
  async request(action: Action, body: Record<string, unknown>): Promise<ResponsePayload> {
    const { topics } = this;
    const id = randomBytes(16);
    let payload: Record<string, unknown> = body;
    let isAnswer: (topic: string, answer: ResponsePayload, packet: IPublishPacket) => boolean;
    let properties: { responseTopic: string; correlationData: Buffer } | undefined;
    const answerTopic = topics.clientResponse(this.client, action);
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
    const sent = this.connection.publishAsync(topics.clientRequest(this.client, action), JSON.stringify(payload), { qos: 1, ...(properties ? { properties } : {}) }).catch((err: Error) => {
      // No answer can come: stop waiting, so the process need not sit out the timeout.
      giveUp.abort();
      throw refusal(err, `${this.client}'s request/${action}`);
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
    if (this.options.presence && this.connection.connected) await this.connection.publishAsync(this.presenceTopic(), 'offline', { qos: 1, retain: true });
    await this.connection.endAsync();
  }

  private async subscribe(topics: readonly string[]): Promise<void> {
    const fresh = topics.filter((t) => !this.subscribed.has(t));
    if (fresh.length === 0) return;
    await this.connection.subscribeAsync(fresh, { qos: 1 }).catch((err: Error) => {
      throw refusal(err, `to let ${this.client} read ${fresh.join(', ')}`);
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

  /** This session's own topics (answers, sync markers), under persona/<ecu-id>/client/<client>/. */
  private clientTopic(leaf: string): string {
    return this.topics.client(this.client, leaf);
  }

  private presenceTopic(): string {
    return this.topics.presenceOf(this.client);
  }
}

function clientOptions(options: SessionOptions & { clientId: string; client: string }, protocolVersion: 4 | 5): IClientOptions {
  return {
    clientId: options.clientId,
    protocolVersion,
    clean: true,
    // A CLI run is short: a lost broker ends it instead of retrying in the background.
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs,
    queueQoSZero: false,
    ...(options.presence ? { will: { topic: options.topics.presenceOf(options.client), payload: Buffer.from('offline'), qos: 1 as const, retain: true } } : {}),
    ...credentialClientOptions(options.credentials ?? {}),
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

/** Node's codes for a broker certificate that no CA this process trusts has signed. */
const UNTRUSTED_CERTIFICATE = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);
/** CONNACK codes for a client the broker did not accept: bad user name or password, not authorized (3.1.1, then v5). */
const NOT_ACCEPTED = new Set([4, 5, 134, 135]);

/** Why the broker could not be reached, on one line, and what to check when a flag can fix it. */
function describeConnectFailure(err: Error & { code?: unknown; reason?: unknown }, files: BrokerCredentialFiles): string {
  // OpenSSL's message spans lines and names its source files; its reason is the words.
  const what = typeof err.code === 'string' && err.code.startsWith('ERR_SSL_') && typeof err.reason === 'string' ? err.reason : err.message.trim();
  if (typeof err.code === 'number' && NOT_ACCEPTED.has(err.code)) {
    return `${what}: ${files.username === undefined && files.certFile === undefined ? 'give --username and --password-file, or --cert and --key' : 'does the broker know this user, and this password or certificate?'}`;
  }
  if (err.code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' && files.certFile === undefined) return `${what}: the broker asks for a client certificate: give --cert and --key`;
  if (typeof err.code === 'string' && UNTRUSTED_CERTIFICATE.has(err.code)) {
    return `${what}: ${files.caFile === undefined ? "give the CA that signed the broker's certificate with --ca-file" : `did the CA of --ca-file ${files.caFile} sign the broker's certificate?`}`;
  }
  return what;
}

/**
 * Opens a session for `command` with the credentials its files hold, runs `use`, and closes
 * it. A file that cannot be read is one line on stderr and exit code 2; an unreachable or
 * refusing broker and a daemon that does not answer are one line and exit code 1.
 */
export async function withSession(command: string, options: CommandSessionOptions, out: Output, use: (session: MqttSession) => Promise<number>): Promise<number> {
  const { credentialFiles, ...rest } = options;
  let credentials: BrokerCredentials;
  try {
    credentials = readBrokerCredentials(credentialFiles);
  } catch (err) {
    if (!(err instanceof CredentialFileError)) throw err;
    for (const u of err.unreadable) out.log(`persona ${command}: cannot read ${FLAG_OF[u.field]} ${u.file}: ${u.reason}`);
    return EXIT_CONFIG;
  }
  // Mosquitto's use_identity_as_username makes the certificate's common name the username.
  const commonName = credentials.username === undefined && credentials.cert !== undefined ? commonNameOf(credentials.cert) : undefined;
  if (commonName !== undefined && !isTopicLevel(commonName)) {
    out.log(`persona ${command}: the common name "${commonName}" of --cert ${credentialFiles.certFile} has /, + or #, so it cannot be the <client> of a topic: give --username`);
    return EXIT_CONFIG;
  }
  let session: MqttSession;
  try {
    session = await MqttSession.open({ ...rest, credentials, ...(commonName !== undefined ? { client: commonName } : {}) });
  } catch (err) {
    out.log(`persona ${command}: cannot reach the MQTT broker at ${withoutPassword(options.url)}: ${describeConnectFailure(err as Error, credentialFiles)}`);
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

/** A refusal as `persona <command>: <status> [<code>] <error>` (and its JSON path), for stderr. */
export function describeRefusal(command: string, answer: ResponsePayload): string {
  return `persona ${command}: ${answer.status}${answer.code !== undefined ? ` ${answer.code}` : ''} ${answer.error ?? 'refused'}${answer.path !== undefined ? ` (at ${answer.path || '/'})` : ''}`;
}

/** Prints a refusal (describeRefusal); the exit code of an answer. */
export function reportAnswer(command: string, answer: ResponsePayload, out: Output): number {
  if (answer.status === 200) return 0;
  out.log(describeRefusal(command, answer));
  return EXIT_FAILURE;
}
