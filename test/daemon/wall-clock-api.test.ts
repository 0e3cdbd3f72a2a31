/**
 * What the daemon shows, on MQTT and to the dashboard, is dated by the wall clock, with CAN time
 * beside it where that matters: a drive recorded years before is replayed at twice its pace on a
 * simulated clock whose wall clock is far from the drive's CAN time.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig } from '../../src/daemon/config.js';
import type { DashboardSnapshot } from '../../src/dashboard/dashboard-view.js';
import { timestamps, timesOutside } from '../helpers/api-times.js';
import { contractProblems } from '../helpers/contract-schemas.js';
import { droppingPvnic } from '../helpers/dropping-pvnic.js';
import { freePort } from '../helpers/mosquitto.js';
import { RecordingPublisher } from '../helpers/scenario.js';

const DRIVE = join(packageRoot(), 'vehicles/demo/drive.log');
const SPEED = 2;
/** Where the replay's wall clock starts: five years after the drive was recorded (2026-01-01T09:00Z). */
const WALL_START_MS = Date.UTC(2031, 5, 1, 12);

/** The schema topic of each kind of payload the recording publisher keeps; `degraded` is no payload. */
const TOPICS: Partial<Record<keyof RecordingPublisher, string>> = {
  contexts: 'state/context',
  personalities: 'state/personality',
  decisions: 'state/decision',
  switches: 'event/switch',
  holds: 'state/holds',
  workloads: 'state/workload',
  rejected: 'event/rejected',
  infos: 'info',
  manifestEvents: 'event/manifest',
  drifts: 'event/drift',
  health: 'event/health',
};

interface Replay {
  published: RecordingPublisher;
  /** What the dashboard's /api/state answered at the end. */
  dashboard: DashboardSnapshot;
  /** CAN time of the drive's first and last frame. */
  can: { fromMs: number; toMs: number };
  /** The wall clock at the start and at the end of the replay. */
  wall: { fromMs: number; toMs: number };
  sampleIntervalMs: number;
}

/**
 * The bundled drive at 2× on a pvnic that drops packets under highway (a health event: the drive
 * has city's ring in place by then, which 16,000 packets/s overrun), with a reload and a drift a
 * minute into the replay, and, at its end, a hold refused by the read-only dashboard (an
 * event/rejected).
 */
async function replayFarFromTheWallClock(): Promise<Replay> {
  const stamps = [...readFileSync(DRIVE, 'utf8').matchAll(/^\((\d+\.\d+)\)/gm)].map((m) => Number(m[1]) * 1000);
  const clock = new SimulatedClock(0, WALL_START_MS);
  const { backend, counters, attach } = droppingPvnic(16_000);
  const config = loadConfig({ cwd: packageRoot(), overrides: { can: `replay:${DRIVE}`, speed: SPEED, loop: false, workloadIntervalMs: 0, http: `127.0.0.1:${await freePort()}` } });
  let page = '';
  const published = new RecordingPublisher();
  const daemon = (await buildDaemon(config, { logger: silentLogger, clock, backend, counters, observer: { dashboardListening: (url) => (page = url) } }))({ publisher: published });
  attach(() => daemon);
  const cancel = clock.every(60_000, () => {
    cancel();
    daemon.reloadManifests();
    backend.drift('pvnic', 'pvnic1', { interrupt_coalescence_time: 50_000_000 });
  });
  await daemon.start();
  await daemon.run();
  const refused = await fetch(new URL('api/holds', page), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"owner":"hmi","personality":"city","holdSeconds":60}' });
  if (refused.status !== 403) throw new Error(`the read-only dashboard answered ${refused.status} to a hold`);
  const dashboard = (await (await fetch(new URL('api/state', page))).json()) as DashboardSnapshot;
  await daemon.stop();
  return { published, dashboard, can: { fromMs: stamps[0]!, toMs: stamps.at(-1)! }, wall: { fromMs: WALL_START_MS, toMs: clock.wallNow() }, sampleIntervalMs: config.sampleIntervalMs };
}

const replay = replayFarFromTheWallClock();

void t.test("a replay far from the wall clock: since and time are wall-clock time, canTime the drive's CAN time, for context, switch, decision and health", async (t) => {
  const { published, can, wall, sampleIntervalMs } = await replay;
  t.ok(wall.fromMs - can.toMs > 5 * 365 * 86_400_000, 'the wall clock is years after the drive');
  /** Where the wall clock was when the replay reached a moment of CAN time: it runs at the replay's pace from the first frame. */
  const wallAt = (canTime: string): number => wall.fromMs + (Date.parse(canTime) - can.fromMs) / SPEED;
  // CAN time is the latest sample's: what happens between samples (a reload, a drift) is up to one sample later by the wall clock.
  const sameMoment = (p: { wall: string; can: string }): boolean => Date.parse(p.wall) - wallAt(p.can) >= -1 && Date.parse(p.wall) - wallAt(p.can) <= sampleIntervalMs / SPEED + 1;
  const kinds = {
    'state/context': published.contexts.map((c) => ({ wall: c.since, can: c.canTime })),
    'event/switch': published.switches.map((s) => ({ wall: s.time, can: s.canTime })),
    'state/decision': published.decisions.map((d) => ({ wall: d.time, can: d.canTime })),
    'event/health': published.health.map((h) => ({ wall: h.time, can: h.canTime })),
  };
  for (const [topic, pairs] of Object.entries(kinds)) {
    t.ok(pairs.length > 0, `${topic}: published`);
    const off = pairs.filter((p) => !(Date.parse(p.can) >= can.fromMs && Date.parse(p.can) <= can.toMs) || !sameMoment(p));
    t.same(off, [], `${topic}: canTime within the drive, and the wall-clock time of the same moment (${pairs.length} payloads)`);
  }
  t.equal(published.contexts[0]!.canTime, new Date(can.fromMs).toISOString(), "the first context at the drive's first frame");
  t.equal(published.contexts[0]!.since, new Date(wall.fromMs).toISOString(), 'and at the start of the replay by the wall clock');
  const [health] = published.health;
  t.equal(Date.parse(health!.canTime) - Date.parse(published.switches.find((s) => s.to === 'highway')!.canTime), health!.afterMs, 'a breach afterMs the switch in CAN time, as event/health says');
  const lastSwitch = published.switches.filter((s) => s.from !== s.to).at(-1)!;
  t.equal(published.personalities.at(-1)!.drivers.pvnic!.since, lastSwitch.time, 'state/personality: since the wall-clock time of the switch to it');
});

void t.test("every timestamp the daemon publishes, on MQTT and to the dashboard, is within the replay's wall-clock time, and every canTime within the drive", async (t) => {
  const { published, dashboard, can, wall } = await replay;
  const payloads = Object.entries(TOPICS).flatMap(([field, topic]) => (published[field as keyof RecordingPublisher] as unknown[]).map((payload, i) => ({ where: `${topic}#${i}`, topic, payload })));
  for (const kind of ['contexts', 'personalities', 'decisions', 'switches', 'health', 'rejected', 'manifestEvents', 'drifts'] as const) t.ok(published[kind].length > 0, `${TOPICS[kind]} is among them`);
  const found = [...payloads, { where: 'dashboard /api/state', payload: dashboard }].map(({ where, payload }) => ({ where, times: timestamps(payload) }));
  t.same(
    found.flatMap(({ where, times }) => timesOutside(times, wall, can).map((outside) => `${where}${outside}`)),
    [],
    `${found.flatMap((f) => f.times).length} timestamps: wall-clock time within ${new Date(wall.fromMs).toISOString()}…${new Date(wall.toMs).toISOString()}, canTime within the drive`,
  );
  const all = found.flatMap((f) => f.times);
  t.ok(all.filter((f) => f.can).length > 10 && all.filter((f) => !f.can).length > 10, 'both kinds are there');
  const bootId = '0b5e6c1a-7f3d-4c2e-9a1b-2d3c4e5f6a7b';
  t.same(
    // As the MQTT publisher sends them: state with seq and bootId, events with bootId.
    payloads.flatMap(({ topic, payload }, i) => contractProblems(`persona/demo/${topic}`, JSON.stringify({ ...(payload as object), ...(topic.startsWith('event/') ? {} : { seq: i + 1 }), bootId }))),
    [],
    'and every payload matches its schema, which requires the canTime fields',
  );
});

void t.test('a deferred switch says by the wall clock when it comes, at the pace of the replay', async (t) => {
  const { published, sampleIntervalMs } = await replay;
  const deferrals = published.decisions.flatMap((d) => d.drivers.filter((x) => x.result === 'deferred').map((x) => ({ decision: d, driver: x })));
  t.ok(deferrals.length > 0, 'the drive has deferred switches');
  let came = 0;
  for (const { decision, driver } of deferrals) {
    const remainingMs = Date.parse(driver.notBeforeCanTime!) - Date.parse(decision.canTime);
    const aheadMs = Date.parse(driver.notBefore!) - Date.parse(decision.time);
    t.ok(Math.abs(aheadMs - remainingMs / SPEED) <= 1, `decision ${decision.seq}: ${remainingMs} ms of CAN time ahead are ${aheadMs} ms by the wall clock`);
    const due = published.switches.find((s) => s.target === driver.target && Date.parse(s.canTime) >= Date.parse(driver.notBeforeCanTime!));
    if (due?.trigger.reason !== 'minimum interval between switches elapsed') continue;
    const lateMs = Date.parse(due.time) - Date.parse(driver.notBefore!);
    t.ok(lateMs >= -1 && lateMs <= sampleIntervalMs / SPEED + 1, `decision ${decision.seq}: the switch came at ${due.time}, ${lateMs} ms after notBefore (within a sample)`);
    came++;
  }
  t.ok(came > 0, 'deferred switches came when the interval was over');
});
