import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIMULATED_EPOCH_MS, SimulatedClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/logger.js';
import type { HoldsPayload } from '../../src/mqtt/contract.js';
import type { Hold } from '../../src/policy/hold-registry.js';
import { runDrive, type ScenarioResult } from '../helpers/scenario.js';

const P = 126;
const D = 3;

/** Who won each decision, once per change. */
const winners = (r: ScenarioResult): string[] =>
  r.published.decisions.map((d) => `${d.drivers[0]!.winner.source}:${d.drivers[0]!.winner.personality}`).filter((w, i, all) => w !== all[i - 1]);

void t.test('a hold outlives a restart: the same id and expiry, released with its token, and new ids go on', async (t) => {
  const holdState = join(t.testdir(), 'state', 'holds.json');
  let diag: { hold: Hold; token: string } | undefined;
  let headUnit: { hold: Hold; token: string } | undefined;
  const first = await runDrive(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: P },
      {
        seconds: 20,
        speedKmh: 40,
        gear: D,
        onStart: () => {
          diag = daemon().placeHold({ owner: 'diag', driverId: 'pvnic', personality: 'highway', priority: 9, holdSeconds: 600 }, { maxPerOwner: 4 });
          headUnit = daemon().placeHold({ owner: 'head-unit', driverId: 'pvnic', personality: 'offroad', priority: 5 }, { maxPerOwner: 4 });
        },
      },
    ],
    { overrides: { holdState }, durableHolds: true },
  );
  const held = first.daemon.holds();
  t.same(
    held,
    [
      { id: diag!.hold.id, owner: 'diag', driver: 'pvnic', personality: 'highway', priority: 9, expires: '2026-01-01T00:10:01.000Z', placed: '2026-01-01T00:00:01.000Z', whilePresent: false },
      { id: headUnit!.hold.id, owner: 'head-unit', driver: 'pvnic', personality: 'offroad', priority: 5, expires: '2026-01-01T01:00:01.000Z', placed: '2026-01-01T00:00:01.000Z', whilePresent: true },
    ],
    'wall-clock times (the drive itself is stamped 09:00): ten minutes, and an hour of lease',
  );
  const onDisk = readFileSync(holdState, 'utf8');
  t.notOk(onDisk.includes(diag!.token) || onDisk.includes(headUnit!.token), 'no token on disk');
  t.ok(onDisk.includes(createHash('sha256').update(diag!.token).digest('hex')), 'only its hash');

  // Five minutes later, a new process.
  let restored: HoldsPayload['holds'] = [];
  const refused: string[] = [];
  let released: Hold | undefined;
  let next: Hold | undefined;
  const second = await runDrive(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: P, onStart: () => void (restored = daemon().holds()) },
      { seconds: 20, speedKmh: 40, gear: D },
      {
        seconds: 15,
        onStart: () => {
          try {
            daemon().releaseHold(diag!.hold.id, headUnit!.token);
          } catch (err) {
            refused.push((err as { code: string }).code);
          }
          released = daemon().releaseHold(diag!.hold.id, diag!.token);
        },
      },
      { seconds: 15, onStart: () => void (next = daemon().placeHold({ owner: 'media', driverId: 'pvnic', personality: 'city', priority: 20, holdSeconds: 60 }, { maxPerOwner: 4 }).hold) },
    ],
    { overrides: { holdState }, durableHolds: true, clock: new SimulatedClock(0, SIMULATED_EPOCH_MS + 5 * 60_000) },
  );
  t.same(restored, held, 'restored before the first frame: ids, owners, priorities, placed, expiry and lease as they were');
  t.same(second.published.holds[0]?.holds, held, 'and published at once');
  t.same(winners(second), ['safety:safe', 'hold:highway', 'hold:offroad', 'hold:city'], 'the restored holds decide; then the release, then a new hold');
  t.same(refused, ['E_HOLD_TOKEN'], "another hold's token does not release it");
  t.equal(released?.id, diag!.hold.id, 'its own token of the first run does');
  t.match(next?.id, /^h3-[0-9a-f]{8}$/, 'ids go on after the first run');
  t.match(JSON.parse(readFileSync(holdState, 'utf8')), { sequence: 3, holds: [{ id: headUnit!.hold.id, expires: '2026-01-01T01:00:01.000Z' }, { id: next!.id, owner: 'media' }] });
});

void t.test('holds that ended while persona was down, or whose personality is gone, are dropped at start and said', async (t) => {
  const dir = t.testdir({
    state: {
      'holds.json': JSON.stringify({
        format: 1,
        sequence: 3,
        holds: [
          { id: 'h1-00000001', owner: 'diag', driver: 'pvnic', personality: 'highway', priority: 9, placed: '2025-12-31T23:00:00.000Z', expires: '2025-12-31T23:59:00.000Z', whilePresent: false, tokenSha256: 'a'.repeat(64) },
          { id: 'h2-00000002', owner: 'media', driver: 'pvnic', personality: 'warp', priority: 9, placed: '2025-12-31T23:00:00.000Z', expires: '2026-01-01T01:00:00.000Z', whilePresent: true, tokenSha256: 'b'.repeat(64) },
          { id: 'h3-00000003', owner: 'head-unit', driver: 'pvnic', personality: 'offroad', priority: 5, placed: '2025-12-31T23:30:00.000Z', expires: '2026-01-01T00:30:00.000Z', whilePresent: true, tokenSha256: createHash('sha256').update('the token of h3').digest('hex') },
        ],
      }),
    },
  });
  const holdState = join(dir, 'state', 'holds.json');
  const logs: string[] = [];
  let released: Hold | undefined;
  const r = await runDrive(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: P },
      { seconds: 20, speedKmh: 40, gear: D },
      { seconds: 5, onStart: () => void (released = daemon().releaseHold('h3-00000003', 'the token of h3')) },
    ],
    { overrides: { holdState }, durableHolds: true, logger: createLogger('persona', 'info', (l) => logs.push(l)) },
  );
  t.same(r.published.holds[0]?.holds.map((h) => h.id), ['h3-00000003'], 'only the hold still in force');
  t.ok(logs.includes('info  persona: hold h1-00000001 of diag ended at 2025-12-31T23:59:00.000Z, while persona was not running'));
  t.ok(logs.includes('warn  persona: hold h2-00000002 of media dropped: personality "warp" of driver "pvnic" no longer exists'));
  t.ok(logs.includes('info  persona: restored holds h3-00000003 of head-unit'));
  t.same(winners(r), ['safety:safe', 'hold:offroad', 'policy:city'], 'the restored hold decides until it is released');
  t.equal(released?.owner, 'head-unit', 'with the token its hash was kept for');
  t.same(JSON.parse(readFileSync(holdState, 'utf8')), { format: 1, sequence: 3, holds: [] }, 'the dropped holds are gone from the file too; the sequence stays');
});

void t.test('a corrupt hold file: persona starts with no holds, says which file and why, and keeps the file aside', async (t) => {
  const corrupt = '{"format": 1, "sequence": 2, "holds": [{"id": "h1-0123abcd"';
  const dir = t.testdir({ state: { 'holds.json': corrupt } });
  const holdState = join(dir, 'state', 'holds.json');
  const logs: string[] = [];
  const r = await runDrive(() => [{ seconds: 1, speedKmh: 0, gear: P }], { overrides: { holdState }, durableHolds: true, logger: createLogger('persona', 'info', (l) => logs.push(l)) });
  t.match(
    logs.filter((l) => l.startsWith('error')),
    [new RegExp(`^error persona:holds: holds of the last run not restored: ${holdState.replace(/[.]/g, '\\.')}: /: invalid JSON: .*; the file is set aside as ${holdState.replace(/[.]/g, '\\.')}\\.corrupt-20260101T000000\\.000Z; starting with no holds$`)],
  );
  t.same(readdirSync(join(dir, 'state')), ['holds.json.corrupt-20260101T000000.000Z']);
  t.equal(readFileSync(`${holdState}.corrupt-20260101T000000.000Z`, 'utf8'), corrupt, 'nothing of it is lost');
  t.same(r.daemon.holds(), []);
  t.same(winners(r), ['safety:safe', 'policy:parked'], 'and decides as without holds');
});
