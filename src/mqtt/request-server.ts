import type { IPublishPacket } from 'mqtt';
import type { Logger } from '../common/logger.js';
import type { ResponsePayload, Topics } from './contract.js';
import type { MessageHandler } from './status-publisher.js';

/** A refusal with its status code; handlers throw it, the server answers with it. */
export class RequestError extends Error {
  constructor(
    readonly status: Exclude<ResponsePayload['status'], 200>,
    message: string,
    readonly path?: string,
    readonly data?: object,
  ) {
    super(message);
  }
}

export type RequestHandler = (payload: Record<string, unknown>) => Promise<object> | object;

export interface RequestServerOptions {
  topics: Topics;
  handlers: Readonly<Record<string, RequestHandler>>;
  /** Publishes an answer; false when it could not (disconnected). */
  reply: (topic: string, payload: ResponsePayload, correlationData?: Buffer) => boolean;
  /** Called for every refused request (event/rejected). */
  rejected: (what: string, status: number, error: string) => void;
  logger: Logger;
  now: () => number;
  /** Payloads above this many bytes (default MAX_REQUEST_BYTES) are refused unread, but for a leading `transaction`. */
  maxBytes?: number;
  /** A request repeated within this window (same correlation data or transaction) gets the first answer again. */
  duplicateWindowMs?: number;
  /** Token bucket over all requests. */
  rate?: { perSecond: number; burst: number };
}

interface Reply {
  topic: string;
  correlationData?: Buffer;
  transaction?: string;
}

/** Answers kept for duplicate detection, at most. */
const DUPLICATES_KEPT = 1000;
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
 * The request side of the MQTT contract: `request/<action>` in, an answer out on the MQTT v5
 * response topic (with the correlation data) or, for 3.1.1 clients, on `response/<action>`
 * with the request's `transaction`. Retained requests are dropped unread (a stale command
 * must never act); empty, oversized, malformed and rate-limited ones are answered and change
 * nothing; unknown actions, whatever their name, get 404; duplicates get the first answer
 * again without acting twice.
 */
export class RequestServer {
  private readonly answered = new Map<string, { atMs: number; payload: ResponsePayload }>();
  /** By action: a Map, so no name a client sends (`constructor`, `__proto__`) finds anything but a handler. */
  private readonly handlers: ReadonlyMap<string, RequestHandler>;
  private tokens: number;
  private refilledAtMs: number;

  constructor(private readonly options: RequestServerOptions) {
    this.tokens = options.rate?.burst ?? 100;
    this.refilledAtMs = options.now();
    this.handlers = new Map(Object.entries(options.handlers));
  }

  readonly onMessage: MessageHandler = (topic, payload, packet) => {
    void this.handle(topic, payload, packet);
  };

  private async handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const { topics, logger } = this.options;
    const action = topics.actionOf(topic);
    if (action === undefined) return;
    if (packet.retain) {
      logger.warn(`dropped a retained request on ${topic}: requests must not be retained`);
      this.options.rejected(`retained request/${action}`, 400, 'retained requests are dropped');
      return;
    }
    const responseTopic = packet.properties?.responseTopic;
    const correlationData = packet.properties?.correlationData;
    let reply: Reply = responseTopic ? { topic: responseTopic, ...(correlationData ? { correlationData } : {}) } : { topic: topics.response(action) };
    let body: Record<string, unknown> = {};
    try {
      const maxBytes = this.options.maxBytes ?? MAX_REQUEST_BYTES;
      if (payload.length > maxBytes) {
        const transaction = leadingTransaction(payload);
        if (transaction !== undefined) reply = { ...reply, transaction };
        throw new RequestError(400, `payload of ${payload.length} bytes is over the ${maxBytes}-byte cap`);
      }
      body = parseBody(payload);
      if (typeof body.transaction === 'string') reply = { ...reply, transaction: body.transaction };
    } catch (err) {
      return this.answer(action, reply, toResponse(err), undefined);
    }
    const key = this.duplicateKey(action, reply);
    const previous = key === undefined ? undefined : this.answered.get(key);
    if (previous && this.options.now() - previous.atMs < (this.options.duplicateWindowMs ?? 60_000)) {
      logger.debug(() => `duplicate request/${action} ${key}: answering again without acting`);
      return this.answer(action, reply, previous.payload, undefined);
    }
    let response: ResponsePayload;
    if (!this.takeToken()) response = { status: 429, error: 'too many requests: try again later' };
    else {
      const handler = this.handlers.get(action);
      try {
        if (!handler) throw new RequestError(404, `unknown action "${action}"; actions: ${[...this.handlers.keys()].join(', ')}`);
        response = { status: 200, data: await handler(body) };
      } catch (err) {
        response = toResponse(err);
      }
    }
    this.answer(action, reply, response, key);
  }

  private answer(action: string, reply: Reply, response: ResponsePayload, key: string | undefined): void {
    const payload: ResponsePayload = reply.transaction !== undefined ? { ...response, transaction: reply.transaction } : response;
    if (key !== undefined) this.remember(key, payload);
    if (payload.status !== 200) this.options.rejected(`request/${action}`, payload.status, payload.error ?? '');
    if (!this.options.reply(reply.topic, payload, reply.correlationData)) this.options.logger.warn(`answer to request/${action} lost: not connected`);
  }

  private duplicateKey(action: string, reply: Reply): string | undefined {
    if (reply.correlationData) return `${action} ${reply.topic} ${reply.correlationData.toString('hex')}`;
    if (reply.transaction !== undefined) return `${action} ${reply.transaction}`;
    return undefined;
  }

  private remember(key: string, payload: ResponsePayload): void {
    this.answered.set(key, { atMs: this.options.now(), payload });
    if (this.answered.size > DUPLICATES_KEPT) this.answered.delete(this.answered.keys().next().value as string);
  }

  private takeToken(): boolean {
    const { perSecond, burst } = this.options.rate ?? { perSecond: 50, burst: 100 };
    const now = this.options.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAtMs) / 1000) * perSecond);
    this.refilledAtMs = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
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
  if (err instanceof RequestError) return { status: err.status, error: err.message, ...(err.path !== undefined ? { path: err.path } : {}), ...(err.data ? { data: err.data } : {}) };
  return { status: 503, error: `internal error: ${(err as Error).message}` };
}
