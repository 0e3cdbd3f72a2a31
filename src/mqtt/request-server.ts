import type { IPublishPacket } from 'mqtt';
import type { Logger } from '../common/logger.js';
import { TokenBucket } from '../common/token-bucket.js';
import type { ApiRole, RoleBook } from './api-roles.js';
import type { Action, ResponsePayload, Topics } from './contract.js';
import type { Rejection } from './rejection-reporter.js';
import type { MessageHandler } from './status-publisher.js';

/** A refusal with its status code; handlers throw it, the server answers with it. */
export class RequestError extends Error {
  constructor(
    readonly status: Exclude<ResponsePayload['status'], 200>,
    message: string,
    readonly path?: string,
    readonly data?: object,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Who sent a request: the `<client>` of its topic, as the broker authenticated it, and that client's role. */
export interface Caller {
  readonly client: string;
  readonly role: ApiRole;
}

export type RequestHandler = (payload: Record<string, unknown>, caller: Caller) => Promise<object> | object;

export interface RequestServerOptions {
  topics: Topics;
  handlers: Readonly<Record<string, RequestHandler>>;
  roles: RoleBook;
  /** Publishes an answer, now or in its turn; calls `lost` when it could not (disconnected). */
  reply: (topic: string, payload: ResponsePayload, correlationData: Buffer | undefined, lost: () => void) => void;
  /** Called for every refused request (event/rejected aggregates them). */
  rejected: (rejection: Rejection) => void;
  logger: Logger;
  /** Monotonic milliseconds, for rate limits and duplicate windows. */
  now: () => number;
  /** Payloads above this many bytes (default MAX_REQUEST_BYTES) are refused unread, but for a leading `transaction`. */
  maxBytes?: number;
  /** A request repeated within this window (same client, and correlation data or transaction) gets the first answer again. */
  duplicateWindowMs?: number;
  /** A token bucket over all clients' requests together, above each client's own. */
  rate?: { perSecond: number; burst: number };
}

interface Reply {
  topic: string;
  correlationData?: Buffer;
  transaction?: string;
}

/** Answers kept for duplicate detection, at most. */
const DUPLICATES_KEPT = 1000;
/** Clients whose token buckets are kept, at most; the least recently seen goes first. */
const CLIENTS_KEPT = 4096;
/** A client over its rate is told so at most this often; its other requests are dropped unanswered (and counted). */
const RATE_ANSWER_INTERVAL_MS = 1000;
/** Requests above this many bytes are refused unread. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/**
 * Of an over-cap request only this many bytes are read, for a `transaction` that is the first
 * member: room for whitespace and a 64-character transaction written with \u escapes.
 */
const TRANSACTION_SCAN_BYTES = 512;
/**
 * `{ "transaction": "<1–64 characters>"` at the start of a payload, in JSON's own grammar (a
 * string character is any but `"`, `\` and controls, or an escape).
 */
const FIRST_MEMBER_TRANSACTION = /^[ \t\n\r]*\{[ \t\n\r]*"transaction"[ \t\n\r]*:[ \t\n\r]*("(?:[\u0020\u0021\u0023-\u005b\u005d-\uffff]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4}){1,64}")/;

/**
 * The request side of the MQTT contract. A client sends `client/<client>/request/<action>`,
 * where `<client>` is the name the broker authenticated (the shipped ACL lets a client write
 * only its own); the daemon takes the caller from that topic, never from the payload, and
 * answers on `client/<client>/response/<action>` or on an MQTT v5 response topic inside the
 * same subtree, so no answer (and no hold token) reaches a topic another client may read.
 *
 * Each client has its own token bucket, set by its role, under one over all clients; duplicates
 * are recognised per client. Retained requests are dropped unread; empty, oversized, malformed,
 * forbidden and rate-limited ones change nothing; every refusal is reported, aggregated. The
 * shared `request/<action>` topics of old are answered 410 on `response/<action>`.
 */
export class RequestServer {
  private readonly answered = new Map<string, { atMs: number; payload: ResponsePayload }>();
  /** By action: a Map, so no name a client sends (`constructor`, `__proto__`) finds anything but a handler. */
  private readonly handlers: ReadonlyMap<string, RequestHandler>;
  private readonly clients = new Map<string, { bucket: TokenBucket; role: ApiRole; toldAtMs: number }>();
  private readonly everyone: TokenBucket;
  private readonly gone: TokenBucket;

  constructor(private readonly options: RequestServerOptions) {
    this.handlers = new Map(Object.entries(options.handlers));
    this.everyone = new TokenBucket(options.rate ?? { perSecond: 50, burst: 100 }, options.now);
    // The old shared topics carry no identity: their answers share one small budget.
    this.gone = new TokenBucket({ perSecond: 1, burst: 5 }, options.now);
  }

  readonly onMessage: MessageHandler = (topic, payload, packet) => {
    void this.handle(topic, payload, packet);
  };

  private async handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const { topics, logger } = this.options;
    const request = topics.clientRequestOf(topic);
    if (request === undefined) {
      const action = topics.actionOf(topic);
      if (action !== undefined) this.answerGone(action, payload, packet);
      return;
    }
    const { client, action } = request;
    const what = `request/${action}`;
    if (packet.retain) {
      logger.warn(`dropped a retained request on ${topic}: requests must not be retained`);
      this.options.rejected({ client, what, status: 400, error: 'retained requests are dropped', code: 'E_RETAINED' });
      return;
    }
    const role = this.options.roles.roleOf(client);
    const correlationData = packet.properties?.correlationData;
    const responseTopic = packet.properties?.responseTopic;
    const ownTopic = responseTopic === undefined || topics.isClientResponseTopic(client, responseTopic);
    let reply: Reply = { topic: ownTopic && responseTopic !== undefined ? responseTopic : topics.clientResponse(client, action), ...(correlationData ? { correlationData } : {}) };
    const caller: Caller = { client, role };
    if (!this.withinRate(caller)) {
      const error = `too many requests from ${client} (role ${role.name}: ${role.requestsPerSecond} per second, bursts of ${role.requestBurst}): try again later`;
      this.options.rejected({ client, what, status: 429, error, code: 'E_RATE' });
      if (this.mayTell(client)) this.send(action, withTransaction(reply, leadingTransaction(payload)), { status: 429, error, code: 'E_RATE' });
      return;
    }
    let body: Record<string, unknown>;
    try {
      const maxBytes = this.options.maxBytes ?? MAX_REQUEST_BYTES;
      if (payload.length > maxBytes) {
        reply = withTransaction(reply, leadingTransaction(payload));
        throw new RequestError(400, `payload of ${payload.length} bytes is over the ${maxBytes}-byte cap`);
      }
      body = parseBody(payload);
      if (typeof body.transaction === 'string') reply = withTransaction(reply, body.transaction);
      if (!ownTopic) throw new RequestError(403, `response topic "${responseTopic}" is outside ${topics.client(client, 'response/')}: answers go to your own topics only`, undefined, undefined, 'E_RESPONSE_TOPIC');
    } catch (err) {
      return this.answer(caller, action, reply, toResponse(err), undefined);
    }
    const key = this.duplicateKey(client, action, reply);
    const previous = key === undefined ? undefined : this.answered.get(key);
    if (previous && this.options.now() - previous.atMs < (this.options.duplicateWindowMs ?? 60_000)) {
      logger.debug(() => `duplicate ${what} of ${client}: answering again without acting`);
      this.send(action, reply, previous.payload);
      return;
    }
    let response: ResponsePayload;
    const handler = this.handlers.get(action);
    try {
      if (!handler) throw new RequestError(404, `unknown action "${action}"; actions: ${[...this.handlers.keys()].join(', ')}`);
      if (!role.actions.includes(action as Action)) throw new RequestError(403, `${client} has role ${role.name}, which may call ${role.actions.join(', ') || 'nothing'}`, undefined, undefined, 'E_ROLE');
      if (!this.everyone.take()) throw new RequestError(429, 'too many requests from all clients together: try again later', undefined, undefined, 'E_BUSY');
      response = { status: 200, data: await handler(body, caller) };
    } catch (err) {
      response = toResponse(err);
    }
    this.answer(caller, action, reply, response, key);
  }

  /** Answers, remembers the answer for duplicates, and reports a refusal. */
  private answer(caller: Caller, action: string, reply: Reply, response: ResponsePayload, key: string | undefined): void {
    const payload = this.send(action, reply, response);
    if (key !== undefined) this.remember(key, payload);
    if (payload.status !== 200) this.options.rejected({ client: caller.client, what: `request/${action}`, status: payload.status, error: payload.error ?? '', ...(payload.code ? { code: payload.code } : {}) });
  }

  private send(action: string, reply: Reply, response: ResponsePayload): ResponsePayload {
    const payload: ResponsePayload = reply.transaction !== undefined ? { ...response, transaction: reply.transaction } : response;
    this.options.reply(reply.topic, payload, reply.correlationData, () => this.options.logger.warn(`answer to request/${action} lost: not connected`));
    return payload;
  }

  /**
   * The shared `request/<action>` of old: nothing is done, and the answer goes to the shared
   * `response/<action>` only (never to a response topic the request names, which nobody vouches
   * for), with a budget of its own.
   */
  private answerGone(action: string, payload: Buffer, packet: IPublishPacket): void {
    const error = `request/${action} is gone: send requests to ${this.options.topics.clientRequest('<client>', action)}, where <client> is your MQTT username`;
    this.options.rejected({ what: `request/${action}`, status: 410, error, code: 'E_GONE' });
    if (packet.retain || !this.gone.take()) return;
    const correlationData = packet.properties?.correlationData;
    const reply = withTransaction({ topic: this.options.topics.response(action), ...(correlationData ? { correlationData } : {}) }, leadingTransaction(payload));
    this.send(action, reply, { status: 410, error, code: 'E_GONE' });
  }

  /** Takes a token from the client's own bucket, made for its role when first seen. */
  private withinRate({ client, role }: Caller): boolean {
    let entry = this.clients.get(client);
    if (entry) this.clients.delete(client);
    if (!entry || entry.role !== role) entry = { bucket: new TokenBucket({ perSecond: role.requestsPerSecond, burst: role.requestBurst }, this.options.now), role, toldAtMs: Number.NEGATIVE_INFINITY };
    // Re-inserted: the Map's order is least recently seen first.
    this.clients.set(client, entry);
    if (this.clients.size > CLIENTS_KEPT) this.clients.delete(this.clients.keys().next().value as string);
    return entry.bucket.take();
  }

  /** Whether a client over its rate may be told so now. */
  private mayTell(client: string): boolean {
    const entry = this.clients.get(client)!;
    const now = this.options.now();
    if (now - entry.toldAtMs < RATE_ANSWER_INTERVAL_MS) return false;
    entry.toldAtMs = now;
    return true;
  }

  private duplicateKey(client: string, action: string, reply: Reply): string | undefined {
    if (reply.correlationData) return `${client}\u0000${action}\u0000${reply.topic}\u0000${reply.correlationData.toString('hex')}`;
    if (reply.transaction !== undefined) return `${client}\u0000${action}\u0000${reply.transaction}`;
    return undefined;
  }

  private remember(key: string, payload: ResponsePayload): void {
    this.answered.set(key, { atMs: this.options.now(), payload });
    if (this.answered.size > DUPLICATES_KEPT) this.answered.delete(this.answered.keys().next().value as string);
  }
}

function withTransaction(reply: Reply, transaction: string | undefined): Reply {
  return transaction === undefined ? reply : { ...reply, transaction };
}

function parseBody(payload: Buffer): Record<string, unknown> {
  // Not `{}`: an empty publish is how a retained request is cleared, which must not run it.
  if (payload.length === 0) throw new RequestError(400, 'empty payload: a request is a JSON object, {} at least; nothing was done', '');
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new RequestError(400, `invalid JSON: ${(err as Error).message}`, '');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError(400, 'must be a JSON object', '');
  return body as Record<string, unknown>;
}

/**
 * The `transaction` of a request too big to read, when it is the payload's first member,
 * read from the first bytes only; undefined otherwise. What JSON.parse makes of a JSON string
 * literal is exactly the value a full parse would give that member.
 */
function leadingTransaction(payload: Buffer): string | undefined {
  const head = payload.subarray(0, TRANSACTION_SCAN_BYTES).toString('utf8');
  const literal = FIRST_MEMBER_TRANSACTION.exec(head)?.[1];
  if (literal === undefined) return undefined;
  const transaction = JSON.parse(literal) as string;
  return transaction.length <= 64 ? transaction : undefined;
}

function toResponse(err: unknown): ResponsePayload {
  if (err instanceof RequestError) return { status: err.status, error: err.message, ...(err.path !== undefined ? { path: err.path } : {}), ...(err.data ? { data: err.data } : {}), ...(err.code !== undefined ? { code: err.code } : {}) };
  return { status: 503, error: `internal error: ${(err as Error).message}` };
}
