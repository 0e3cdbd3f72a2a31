import t, { type Test } from 'tap';
import { request } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig, type PersonaConfig } from '../../src/daemon/config.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import type { DashboardSnapshot, DashboardUpdate } from '../../src/dashboard/dashboard-view.js';
import type { ContextPayload, RejectedPayload, StatePublisher } from '../../src/mqtt/contract.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import simulatedPvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import { freePort } from '../helpers/mosquitto.js';
import { ScriptSource } from '../helpers/drive-script.js';
import { CITY_DRIVE } from '../helpers/live-daemon.js';

/** What the daemon hands its other output (MQTT in production), to compare with what the dashboard shows. */
class RecordingPublisher implements StatePublisher {
  context: ContextPayload | undefined;
  readonly rejected: RejectedPayload[] = [];
  start = (): Promise<void> => Promise.resolve();
  stop = (): Promise<void> => Promise.resolve();
  publishContext(payload: ContextPayload): void {
    this.context = payload;
  }
  publishRejected(payload: RejectedPayload): void {
    this.rejected.push(payload);
  }
  publishPersonality(): void {}
  publishDecision(): void {}
  publishHolds(): void {}
  publishWorkload(): void {}
  publishSwitch(): void {}
  publishInfo(): void {}
  publishManifestEvent(): void {}
  publishDrift(): void {}
  publishHealth(): void {}
  setDegraded(): void {}
}

interface Started {
  daemon: Daemon;
  other: RecordingPublisher;
  base: string;
}

/** A daemon with its dashboard on loopback, driven through the city drive on a simulated clock. */
async function start(t: Test, limits: { maxClients?: number; controlRate?: { perSecond: number; burst: number }; refusalReportRate?: { perSecond: number; burst: number } } = {}, backend?: SimulatedBackend, control: Partial<PersonaConfig> = {}): Promise<Started> {
  const clock = new SimulatedClock();
  const source = new ScriptSource(loadVehicle(join(packageRoot(), 'vehicles/demo')), CITY_DRIVE, clock, true);
  const config = loadConfig({ cwd: packageRoot(), overrides: { workloadIntervalMs: 0, http: `127.0.0.1:${await freePort()}`, onDrift: 'report', ...control } });
  let base = '';
  const other = new RecordingPublisher();
  const daemon = (await buildDaemon(config, { logger: silentLogger, clock, source, dashboard: { flushMs: 20, ...limits }, observer: { dashboardListening: (url) => (base = url) }, ...(backend ? { backend } : {}) }))({ publisher: other });
  await daemon.start();
  const running = daemon.run();
  t.teardown(async () => {
    await daemon.stop();
    await running;
  });
  return { daemon, other, base };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads a Server-Sent Events stream, one parsed event at a time. */
function openStream(url: string): Promise<{ next(): Promise<{ event: string; data: unknown }>; close(): void; status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      const queue: Array<{ event: string; data: unknown }> = [];
      let waiting: ((e: { event: string; data: unknown }) => void) | undefined;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === undefined || data === undefined) continue;
          const parsed = { event, data: JSON.parse(data) as unknown };
          if (waiting) {
            const w = waiting;
            waiting = undefined;
            w(parsed);
          } else queue.push(parsed);
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((r) => (waiting = r))),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once the drive has settled in town (its switch to city was streamed). */
async function inTown(base: string): Promise<void> {
  const stream = await openStream(`${base}events`);
  try {
    for (let e = await stream.next(); !JSON.stringify(e.data).includes('"to":"city"'); e = await stream.next());
  } finally {
    stream.close();
  }
}

void t.test('the page and its files are served with a strict policy; anything else is refused', async (t) => {
  const { base } = await start(t);
  const page = await get(base);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'/, 'no inline script, no other site');
  t.match(page.body, /<script type="module" src="dashboard.js">/);
  const files = await Promise.all(['dashboard.js', 'dashboard.css'].map((f) => get(`${base}${f}`)));
  t.same(files.map((f) => f.status), [200, 200]);
  const weight = [page, ...files].reduce((sum, f) => sum + Buffer.byteLength(f.body), 0);
  t.ok(weight <= 200 * 1024, `the page weighs ${weight} bytes, at most 200 KB`);
  t.equal((await get(`${base}favicon.ico`)).status, 204);
  t.same(JSON.parse((await get(`${base}../package.json`)).body), { status: 404, error: 'no /package.json here: the dashboard is at /' }, 'no path leads outside the page');
  t.equal((await get(`${base}events`, {}, 'HEAD')).status, 405, 'HEAD opens no stream');
  const put = await get(`${base}api/state`, {}, 'PUT');
  t.same([put.status, put.headers.allow], [405, 'GET, HEAD']);
  const rebound = await get(base, { host: 'attacker.example:80' });
  t.same([rebound.status, JSON.parse(rebound.body)], [403, { status: 403, error: 'host "attacker.example:80" is not this dashboard\'s' }], 'a DNS-rebound name is refused');
  t.equal((await get(base.replace('127.0.0.1', 'localhost'))).status, 200, 'localhost is loopback too');
});

void t.test('the dashboard shows the payloads the other output was given, not a copy of its own', async (t) => {
  const { base, other } = await start(t);
  await inTown(base);
  const state = JSON.parse((await get(`${base}api/state`)).body) as DashboardSnapshot;
  t.same(state.context, other.context, 'state/context as published');
  t.equal(state.context?.context, 'city');
  t.equal(state.control, false, 'read-only unless configured');
  const post = await new Promise<number>((resolve) => {
    const req = request(`${base}api/holds`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => resolve(res.statusCode ?? 0));
    req.end('{}');
  });
  t.equal(post, 403);
  t.match(other.rejected, [{ what: 'http select', status: 403, error: /^control is off/ }], 'the refusal goes to event/rejected as well');
});

void t.test('a stream starts with a snapshot and then gets only what changed, the same for every page', async (t) => {
  const { base, daemon } = await start(t, { maxClients: 2 });
  const a = await openStream(`${base}events`);
  const b = await openStream(`${base}events`);
  t.teardown(() => (a.close(), b.close()));
  const inTownOn = async (stream: typeof a): Promise<void> => {
    const first = await stream.next();
    t.equal(first.event, 'snapshot', 'a stream starts with everything');
    for (let e = first; !JSON.stringify(e.data).includes('"to":"city"'); e = await stream.next());
  };
  await Promise.all([inTownOn(a), inTownOn(b)]);
  const third = await get(`${base}events`);
  t.same([third.status, JSON.parse(third.body)], [503, { status: 503, error: '2 dashboards are open already' }], 'more pages than allowed are refused');

  daemon.placeHold({ owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 50 }, { maxPerOwner: 1 });
  const holdsSeen = async (stream: typeof a): Promise<DashboardUpdate> => {
    for (;;) {
      const e = await stream.next();
      if (e.event === 'update' && (e.data as DashboardUpdate).holds?.length) return e.data as DashboardUpdate;
    }
  };
  const [ua, ub] = await Promise.all([holdsSeen(a), holdsSeen(b)]);
  t.same(ua, ub, 'every page gets the same update');
  t.match(ua.holds, [{ owner: 'media', personality: 'highway', priority: 50 }]);
  t.match(ua.decision?.text, /pvnic: highway by hold h[\w-]+ by media \(prio 50\)/);
  t.notOk('info' in ua, 'sections that did not change are not sent again');
});

void t.test('drift shows as degraded status with its reason, and in the log', async (t) => {
  const backend = new SimulatedBackend([simulatedPvnic as unknown as SimulatedDriver]);
  const { base } = await start(t, {}, backend);
  await inTown(base);
  backend.drift('pvnic', 'pvnic1', { power_saving_mode: 'disabled' });
  const state = JSON.parse((await get(`${base}api/state`)).body) as DashboardSnapshot;
  t.same(state.status, { state: 'degraded', backend: 'simulated', reason: 'drift on pvnic pvnic1: power_saving_mode changed outside persona' });
  t.match(state.log.at(-1), { kind: 'drift', event: { driver: 'pvnic', resources: ['pvnic1'], parameters: ['power_saving_mode'], action: 'report' } });
});

/**
 * One request to the dashboard at 127.0.0.1:`port` with exactly these headers (Host included,
 * as a browser on another name would send it). A stream is closed once its status is known.
 */
function ask(port: number, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, setHost: false }, (res) => {
      if (res.headers['content-type']?.startsWith('text/event-stream')) {
        req.destroy();
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const portOf = (base: string): number => Number(new URL(base).port);

/** The machine's own non-loopback IPv4 addresses, as a browser on the network would name it. */
const lanAddresses = (): string[] =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);

void t.test('bound to every address, a DNS-rebound name is refused on the state and the stream; its own names are not', async (t) => {
  const { base } = await start(t, {}, undefined, { http: `0.0.0.0:${await freePort()}` });
  const port = portOf(base);
  for (const path of ['/api/state', '/events', '/']) {
    const rebound = await ask(port, path, { host: `evil.example:${port}` });
    t.same([rebound.status, JSON.parse(rebound.body)], [403, { status: 403, error: `host "evil.example:${port}" is not this dashboard's` }], `${path} is refused to a rebound name`);
  }
  t.equal((await ask(port, '/api/state', {})).status, 400, 'no Host at all is refused too (by node:http, before the dashboard sees it)');
  for (const name of ['127.0.0.1', 'localhost', hostname().toLowerCase(), ...lanAddresses()]) {
    t.equal((await ask(port, '/api/state', { host: `${name}:${port}` })).status, 200, `${name}:${port} is this machine`);
    t.equal((await ask(port, '/events', { host: `${name}:${port}` })).status, 200, `the stream opens on ${name}:${port}`);
  }
  t.equal((await ask(port, '/api/state', { host: `LocalHost:${port}` })).status, 200, 'names are compared without case');
  t.equal((await ask(port, '/api/state', { host: `localhost:${port + 1}` })).status, 403, 'another port is another server');
});

void t.test('a page on another origin reads neither the state nor the stream, whatever the address', async (t) => {
  for (const http of [`127.0.0.1:${await freePort()}`, `0.0.0.0:${await freePort()}`]) {
    const { base } = await start(t, {}, undefined, { http });
    const port = portOf(base);
    const host = `127.0.0.1:${port}`;
    for (const path of ['/api/state', '/events']) {
      const foreign = await ask(port, path, { host, origin: 'http://evil.example' });
      t.same([foreign.status, JSON.parse(foreign.body)], [403, { status: 403, error: 'origin "http://evil.example" may not read or control this dashboard' }], `${path} on ${http} is refused to another origin`);
      t.equal((await ask(port, path, { host, origin: 'null' })).status, 403, `${path} on ${http} is refused to an opaque origin`);
      t.equal((await ask(port, path, { host, origin: `http://${host}` })).status, 200, `${path} on ${http} is open to the page's own origin`);
    }
  }
});

void t.test('names the operator adds are accepted, with their port or behind a proxy without one', async (t) => {
  const { base } = await start(t, {}, undefined, { http: `0.0.0.0:${await freePort()}`, httpAllowedHosts: ['persona-ecu.example', 'proxy.example:8443'] });
  const port = portOf(base);
  t.equal((await ask(port, '/api/state', { host: `persona-ecu.example:${port}` })).status, 200, 'an added name on the dashboard port');
  t.equal((await ask(port, '/api/state', { host: 'persona-ecu.example' })).status, 200, 'an added name as a TLS proxy forwards it, without a port');
  t.equal((await ask(port, '/api/state', { host: 'persona-ecu.example', origin: 'https://persona-ecu.example' })).status, 200, 'its page through the proxy is same-origin');
  t.equal((await ask(port, '/api/state', { host: 'proxy.example:8443' })).status, 200, 'an added name with its own port');
  t.equal((await ask(port, '/api/state', { host: `proxy.example:${port}` })).status, 403, 'but not on another port');
  t.equal((await ask(port, '/api/state', { host: `evil.example:${port}` })).status, 403, 'other names are still refused');
});

const TOKEN = 'a-token-of-twenty-chars';
const SELECT = JSON.stringify({ owner: 'dashboard', personality: 'offroad', holdSeconds: 60 });

/** Posts a control request as a script would, with the dashboard's own Host. */
async function post(port: number, path: string, body: string, headers: Record<string, string>): Promise<Answer> {
  return ask(port, path, { host: `127.0.0.1:${port}`, 'content-type': 'application/json', ...headers }, 'POST', body);
}

void t.test('posts without the token are refused before the rate limit, so they cannot lock the operator out', async (t) => {
  const dir = t.testdir({ 'token.txt': TOKEN });
  // Refilled too slowly to matter during the test: the outcome does not depend on its speed.
  const slow = { perSecond: 0.001, burst: 10 };
  const { base, other } = await start(t, { controlRate: slow, refusalReportRate: { perSecond: 0.001, burst: 5 } }, undefined, { httpControl: true, httpTokenFile: join(dir, 'token.txt') });
  const port = portOf(base);
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) statuses.push((await post(port, '/api/holds', SELECT, i % 2 === 0 ? {} : { authorization: `Bearer guess-${i}` })).status);
  t.same(statuses, Array<number>(50).fill(403), 'fifty posts without the token: every one refused, none rate limited');
  t.equal(other.rejected.length, 5, 'refusals are reported at the report rate, not one each');
  t.same(other.rejected.map((r) => [r.what, r.status]), Array(5).fill(['http select', 403]));
  const operator = await post(port, '/api/holds', SELECT, { authorization: `Bearer ${TOKEN}` });
  t.not(operator.status, 429, 'the operator is not locked out');
  const placed = JSON.parse(operator.body) as { status: number; data: { hold: string; token: string } };
  t.match(placed, { status: operator.status, data: { hold: /^h/, token: String } }, 'the hold went to the arbiter');
  const released = await post(port, '/api/release', JSON.stringify({ hold: placed.data.hold, token: placed.data.token }), { authorization: `Bearer ${TOKEN}` });
  t.same([released.status, JSON.parse(released.body)], [200, { status: 200, data: { hold: placed.data.hold, released: true } }], 'and was released with the token');
  t.equal((await post(port, '/api/release', '{"hold":"h-none","token":"x"}', { authorization: `Bearer ${TOKEN}` })).status, 404, "the operator's own refusal");
  const later = other.rejected.slice(5);
  t.match(later[0], { what: 'http control', status: 403, error: '45 more control requests refused without a valid token were not reported' }, 'the next report says how many were left out');
  t.match(later.at(-1), { what: 'http release', status: 404, error: 'no hold "h-none"' }, "and every refusal of the operator's is reported");
  t.equal(later.filter((r) => r.what === 'http control').length, 1, 'the count is reported once');
});

void t.test('with the token, control requests are rate limited: a burst, then 429', async (t) => {
  const dir = t.testdir({ 'token.txt': TOKEN });
  const { base } = await start(t, { controlRate: { perSecond: 0.001, burst: 10 } }, undefined, { httpControl: true, httpTokenFile: join(dir, 'token.txt') });
  const port = portOf(base);
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await post(port, '/api/release', '{"hold":"h1","token":"x"}', { authorization: `Bearer ${TOKEN}` })).status);
  t.same(statuses, [...Array<number>(10).fill(404), 429], 'a burst of ten, then 429');
  t.equal((await post(port, '/api/release', '{"hold":"h1","token":"x"}', { authorization: 'Bearer wrong' })).status, 403, 'a wrong token is still told it is wrong');
  t.equal((await post(port, '/api/release', '{"hold":"h1","token":"x"}', { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' })).status, 403, 'the token does not open another origin');
});
