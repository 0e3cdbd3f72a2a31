import t, { type Test } from 'tap';
import { request } from 'node:http';
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
async function start(t: Test, limits: { maxClients?: number; controlRate?: { perSecond: number; burst: number } } = {}, backend?: SimulatedBackend, control: Partial<PersonaConfig> = {}): Promise<Started> {
  const clock = new SimulatedClock();
  const source = new ScriptSource(loadVehicle(join(packageRoot(), 'vehicles/demo')), CITY_DRIVE, clock, true);
  const config = loadConfig({ cwd: packageRoot(), overrides: { workloadIntervalMs: 0, http: `127.0.0.1:${await freePort()}`, onDrift: 'report', ...control } });
  let base = '';
  const other = new RecordingPublisher();
  const daemon = buildDaemon(config, { logger: silentLogger, clock, source, dashboard: { flushMs: 20, ...limits }, observer: { dashboardListening: (url) => (base = url) }, ...(backend ? { backend } : {}) })({ publisher: other });
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

  daemon.placeHold({ owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 50 });
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

void t.test('control requests are rate limited before the token is looked at, so it cannot be guessed at speed', async (t) => {
  const dir = t.testdir({ 'token.txt': 'a-token-of-twenty-chars' });
  // Refilled too slowly to matter during the test: the outcome does not depend on its speed.
  const { base } = await start(t, { controlRate: { perSecond: 0.001, burst: 10 } }, undefined, { httpControl: true, httpTokenFile: join(dir, 'token.txt') });
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    statuses.push(
      await new Promise<number>((resolve) => {
        const req = request(`${base}api/release`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer guess-${i}` } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
        req.end('{"hold":"h1","token":"x"}');
      }),
    );
  }
  t.same(statuses, [...Array<number>(10).fill(403), 429], 'a burst of ten, then 429');
});
