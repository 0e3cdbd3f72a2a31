import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listenOnFreePort } from '../common/listen.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { packageRoot } from '../common/package-root.js';
import type { ContextPayload, DecisionPayload, DriftPayload, HealthPayload, HoldsPayload, InfoPayload, ManifestEventPayload, PersonalityPayload, RejectedPayload, ResponsePayload, StatePublisher, StatusPayload, SwitchPayload, WorkloadPayload } from '../mqtt/contract.js';
import { RequestError } from '../mqtt/request-server.js';
import { AllowedHosts } from './allowed-hosts.js';
import type { DashboardSnapshot } from './dashboard-view.js';
import { LiveState, type LiveSample } from './live-state.js';
import { SseClient } from './sse-client.js';
import { TokenBucket } from '../common/token-bucket.js';
import { drivingTransitionWords } from './transition-words.js';

/** Placing and releasing holds from the page: the MQTT API's own handlers, behind a token. */
export interface DashboardControl {
  token: string;
  select: (body: Record<string, unknown>) => Promise<object>;
  release: (body: Record<string, unknown>) => Promise<object>;
}

/** What the dashboard needs from the daemon once it exists. */
export interface DashboardApi {
  sample(): LiveSample;
  /** Absent: the page is read-only. */
  control?: DashboardControl;
  /** Every refused control request, as MQTT's event/rejected reports refused requests. */
  rejected(what: string, status: number, error: string): void;
}

export interface DashboardOptions {
  host: string;
  /** The first port tried; the next free one up to `port + 99` is taken. */
  port: number;
  ecuId: string;
  /** The `online` status, as the MQTT publisher sends it. */
  online: StatusPayload;
  logger?: Logger;
  onListening?(url: string): void;
  /** Streams open at once; more are refused with 503. */
  maxClients?: number;
  /** Bytes a stream may have unsent before its client is dropped as too slow. */
  maxBufferedBytes?: number;
  /** Updates are coalesced and sent at most this often. */
  flushMs?: number;
  /** With nothing to send, a `ping` this often lets the page tell a quiet daemon from a dead one. */
  heartbeatMs?: number;
  /** Token bucket over control requests that carry the token: 5 per second, bursts of 10 by default. */
  controlRate?: { perSecond: number; burst: number };
  /**
   * Token bucket over reporting control requests refused before the token matched (no token, a
   * wrong one, control off, another host or origin): each is refused, but only this many are
   * reported on event/rejected, the rest counted; 1 per second, bursts of 10 by default.
   */
  refusalReportRate?: { perSecond: number; burst: number };
  /** Host names accepted beside the dashboard's own (`httpAllowedHosts`): `name:port`, or a bare `name` (see AllowedHosts). */
  allowedHosts?: readonly string[];
  /** The statechart document the daemon runs, to say why the driving context changed. */
  statechart?: unknown;
}

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
};
const STATIC_DIR = join(packageRoot(), 'src/dashboard/static');
const MAX_BODY_BYTES = 16 * 1024;
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
const CONTROL_PATHS: Record<string, 'select' | 'release'> = { '/api/holds': 'select', '/api/release': 'release' };
/** A flood of refused control requests is warned of in the log at most this often. */
const FLOOD_WARNING_MS = 60_000;
const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * The live dashboard: the page as static files, one Server-Sent Events stream of the state
 * the daemon publishes (it is a StatePublisher beside MQTT, fed the same payloads), and,
 * when control is on, hold requests that go through the MQTT API's handlers.
 */
export class DashboardServer implements StatePublisher {
  private readonly state: LiveState;
  private readonly clients = new Set<SseClient>();
  private readonly log: Logger;
  private server: Server | undefined;
  private files = new Map<string, { body: Buffer; type: string }>();
  private api: DashboardApi | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private sentVersion = 0;
  private sentSampleMs: number | undefined;
  private lastSendMs = 0;
  private readonly controlBucket: TokenBucket;
  private readonly reportBucket: TokenBucket;
  /** Refusals before the token matched that were not reported, since the last report. */
  private unreported = 0;
  private floodWarnedAtMs = -Infinity;
  private allowedHosts: AllowedHosts | undefined;

  constructor(private readonly options: DashboardOptions) {
    this.state = new LiveState({ online: options.online, ...(options.statechart !== undefined ? { explainTransition: drivingTransitionWords(options.statechart) } : {}) });
    this.log = options.logger ?? silentLogger;
    this.controlBucket = new TokenBucket(options.controlRate ?? { perSecond: 5, burst: 10 });
    this.reportBucket = new TokenBucket(options.refusalReportRate ?? { perSecond: 1, burst: 10 });
  }

  /** Connects the dashboard to the daemon: its samples, and control when configured. */
  serve(api: DashboardApi): void {
    this.api = api;
  }

  async start(): Promise<void> {
    this.files = new Map(Object.entries(STATIC_FILES).map(([path, f]) => [path, { body: readFileSync(join(STATIC_DIR, f.file)), type: f.type }]));
    const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => this.handle(req, res));
    server.maxConnections = (this.options.maxClients ?? 16) + 16;
    const { host, port } = this.options;
    const taken = await listenOnFreePort(server, host, port);
    if (taken !== undefined) {
      this.server = server;
      this.allowedHosts = new AllowedHosts(host, taken, this.options.allowedHosts);
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${taken}/`;
      this.log.info(`dashboard on ${url}${this.api?.control ? ' (control on)' : ' (read-only)'}`);
      this.log.debug(() => `dashboard answers to the hosts ${this.allowedHosts?.list().join(', ') ?? ''}`);
      this.options.onListening?.(url);
      return;
    }
    throw new Error(`no free port for the dashboard on ${host}:${port}-${Math.min(65535, port + 99)}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const client of [...this.clients]) client.close('gone');
    this.stopFlushing();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  publishContext(payload: ContextPayload): void {
    this.state.publishContext(payload);
  }
  publishPersonality(payload: PersonalityPayload): void {
    this.state.publishPersonality(payload);
  }
  publishDecision(payload: DecisionPayload): void {
    this.state.publishDecision(payload);
  }
  publishHolds(payload: HoldsPayload): void {
    this.state.publishHolds(payload);
  }
  publishWorkload(payload: WorkloadPayload): void {
    this.state.publishWorkload(payload);
  }
  publishSwitch(payload: SwitchPayload): void {
    this.state.publishSwitch(payload);
  }
  publishRejected(payload: RejectedPayload): void {
    this.state.publishRejected(payload);
  }
  publishInfo(payload: InfoPayload): void {
    this.state.publishInfo(payload);
  }
  publishManifestEvent(payload: ManifestEventPayload): void {
    this.state.publishManifestEvent(payload);
  }
  publishDrift(payload: DriftPayload): void {
    this.state.publishDrift(payload);
  }
  publishHealth(payload: HealthPayload): void {
    this.state.publishHealth(payload);
  }
  setDegraded(reason: string | undefined): void {
    this.state.setDegraded(reason);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const action = req.method === 'POST' && Object.hasOwn(CONTROL_PATHS, path) ? CONTROL_PATHS[path] : undefined;
    // First, on every address and every path: a page on another site must not reach the daemon,
    // neither through a name of its own that resolves here (DNS rebinding) nor from its origin.
    const foreign = this.foreign(req);
    if (foreign) {
      if (action) this.report(`http ${action}`, foreign, false);
      if (!req.complete) req.resume();
      return reply(res, foreign.status, foreign);
    }
    if (action) return void this.control(req, res, action);
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { status: 405, error: `${req.method ?? ''} is not allowed here` }, { allow: 'GET, HEAD' });
    if (path === '/events') return req.method === 'GET' ? this.openStream(res) : reply(res, 405, { status: 405, error: 'the stream is read with GET' }, { allow: 'GET' });
    if (path === '/api/state') return reply(res, 200, this.snapshot());
    // Browsers ask for an icon; the page has none, and a 404 would be logged in the console.
    if (path === '/favicon.ico') return void res.writeHead(204, SECURITY_HEADERS).end();
    const file = this.files.get(path);
    if (!file) return reply(res, 404, { status: 404, error: `no ${path} here: the dashboard is at /` });
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  private snapshot(): DashboardSnapshot {
    const sample = this.api?.sample() ?? null;
    return { ecuId: this.options.ecuId, control: this.api?.control !== undefined, ...this.state.snapshot(sample?.features ? sample : null) };
  }

  private openStream(res: ServerResponse): void {
    if (this.clients.size >= (this.options.maxClients ?? 16)) return reply(res, 503, { status: 503, error: `${this.clients.size} dashboards are open already` });
    const client = new SseClient(res, this.options.maxBufferedBytes ?? 256 * 1024, (c, why) => {
      this.clients.delete(c);
      if (why === 'slow') this.log.warn('dropped a dashboard stream that read too slowly');
      if (this.clients.size === 0) this.stopFlushing();
    });
    this.clients.add(client);
    // The first page's snapshot holds everything so far; later pages may see a change twice, which the page ignores.
    if (!this.flushTimer) this.sentVersion = this.state.version;
    client.send('snapshot', JSON.stringify(this.snapshot()));
    this.flushTimer ??= setInterval(() => this.flush(), this.options.flushMs ?? 100).unref();
  }

  /** Sends what changed since the last flush, serialised once for every stream. */
  private flush(): void {
    const update = this.state.changesSince(this.sentVersion) ?? {};
    this.sentVersion = this.state.version;
    const sample = this.api?.sample();
    if (sample?.features && sample.features.timeMs !== this.sentSampleMs) {
      this.sentSampleMs = sample.features.timeMs;
      update.vehicle = this.state.vehicle(sample);
    }
    const now = performance.now();
    if (Object.keys(update).length > 0) {
      this.broadcast('update', JSON.stringify(update));
      this.lastSendMs = now;
    } else if (now - this.lastSendMs >= (this.options.heartbeatMs ?? 5000)) {
      this.broadcast('ping', '{}');
      this.lastSendMs = now;
    }
  }

  private broadcast(event: string, data: string): void {
    for (const client of [...this.clients]) client.send(event, data);
  }

  private stopFlushing(): void {
    if (this.clients.size > 0 || !this.flushTimer) return;
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Why a request comes from somewhere other than the dashboard's own page or a script on a name it answers to; undefined when it does not. */
  private foreign(req: IncomingMessage): ResponsePayload | undefined {
    const { host, origin } = req.headers;
    if (!this.allowedHosts?.has(host)) return { status: 403, error: `host "${host ?? ''}" is not this dashboard's` };
    if (origin !== undefined && !this.allowedHosts.hasOrigin(origin)) return { status: 403, error: `origin "${origin}" may not read or control this dashboard` };
    return undefined;
  }

  /**
   * A hold request: the token first, then the rate limit, so requests without the token never
   * spend what the operator's requests need; then the body, decided by the MQTT API's handler.
   */
  private async control(req: IncomingMessage, res: ServerResponse, action: 'select' | 'release'): Promise<void> {
    let response: ResponsePayload;
    let authorised = false;
    try {
      const control = this.authorise(req);
      authorised = true;
      if (!this.controlBucket.take()) throw new RequestError(429, 'too many control requests: try again later');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') throw new RequestError(400, `content-type must be application/json, not "${type}"`);
      const body = await readJsonBody(req);
      response = { status: 200, data: await control[action](body) };
    } catch (err) {
      response = toResponse(err);
    }
    if (response.status !== 200) this.report(`http ${action}`, response, authorised);
    // An unread body would otherwise keep the connection busy.
    if (!req.complete) req.resume();
    reply(res, response.status, response);
  }

  /** The control handlers, when control is on and the request carries the token (compared in constant time). */
  private authorise(req: IncomingMessage): DashboardControl {
    const control = this.api?.control;
    if (!control) throw new RequestError(403, 'control is off: the daemon runs with a read-only dashboard (--http-control and a token enable it)');
    const given = /^bearer (.*)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(given), digest(control.token))) throw new RequestError(403, given === '' ? 'an access token is required (Authorization: Bearer <token>)' : 'wrong access token');
    return control;
  }

  /**
   * Reports a refused control request on event/rejected. The operator's (with the token) are
   * all reported; those refused before the token matched cost anyone nothing to send, so past
   * the report rate they are only counted, and the count goes with the next report.
   */
  private report(what: string, response: ResponsePayload, authorised: boolean): void {
    if (!authorised && !this.reportBucket.take()) {
      this.unreported++;
      const now = performance.now();
      if (now - this.floodWarnedAtMs >= FLOOD_WARNING_MS) {
        this.floodWarnedAtMs = now;
        this.log.warn('control requests without a valid token come faster than they are reported; the rest are counted');
      }
      return;
    }
    if (this.unreported > 0) {
      this.api?.rejected('http control', 403, `${this.unreported} more control requests refused without a valid token were not reported`);
      this.unreported = 0;
    }
    this.api?.rejected(what, response.status, response.error ?? '');
  }
}

function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new RequestError(400, `body of ${declared} bytes is over the ${MAX_BODY_BYTES}-byte cap`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        reject(new RequestError(400, `body is over the ${MAX_BODY_BYTES}-byte cap`));
      } else chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        return reject(new RequestError(400, `invalid JSON: ${(err as Error).message}`, ''));
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject(new RequestError(400, 'must be a JSON object', ''));
      resolve(body as Record<string, unknown>);
    });
  });
}

function toResponse(err: unknown): ResponsePayload {
  if (err instanceof RequestError) return { status: err.status, error: err.message, ...(err.path !== undefined ? { path: err.path } : {}), ...(err.data ? { data: err.data } : {}) };
  return { status: 503, error: `internal error: ${(err as Error).message}` };
}

function reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers });
  res.end(text);
}
