import t from 'tap';
import { HoldRegistry, type HoldCaps } from '../../src/policy/hold-registry.js';

const hold = (owner: string, priority: number) => ({ owner, driverId: 'pvnic', personality: 'highway', priority });
/** Placed at `placedAtMs` for a minute, or while present on a lease of that long. */
const term = (placedAtMs: number, whilePresent = false, lastsMs = 60_000) => ({ placedAtMs, expiresAtMs: placedAtMs + lastsMs, whilePresent });
const caps: HoldCaps = { maxPerOwner: 10, maxHolds: 32 };

void t.test('tokens are 256 random bits, returned once and kept only as a hash', async (t) => {
  const registry = new HoldRegistry();
  const a = registry.add(hold('app', 5), term(0), caps);
  const b = registry.add(hold('app', 5), term(0), caps);
  t.match(a.token, /^[0-9a-f]{64}$/, '64 hex digits: never a leading dash that a command line would take for an option');
  t.equal(Buffer.from(a.token, 'hex').length, 32);
  t.not(a.token, b.token);
  t.notOk(JSON.stringify(registry.list()).includes(a.token), 'the list never shows a token');
  t.notOk(JSON.stringify(registry.snapshot()).includes(a.token), 'nor does the snapshot a restart keeps');
});

void t.test('release needs the right token; a wrong one changes nothing', async (t) => {
  const registry = new HoldRegistry();
  const { hold: h, token } = registry.add(hold('app', 5), term(0), caps);
  t.throws(() => registry.release(h.id, 'not-the-token'), { code: 'E_HOLD_TOKEN' });
  t.equal(registry.list().length, 1);
  t.throws(() => registry.release('h99', token), { code: 'E_HOLD_NOT_FOUND' });
  t.same(registry.release(h.id, token), h);
  t.equal(registry.list().length, 0);
});

void t.test('strongest first: priority, then the newer', async (t) => {
  const registry = new HoldRegistry();
  const low = registry.add(hold('a', 1), term(0), caps).hold;
  const high = registry.add(hold('b', 9), term(10), caps).hold;
  const highNewer = registry.add(hold('c', 9), term(20), caps).hold;
  t.same(registry.forDriver('pvnic').map((h) => h.id), [highNewer.id, high.id, low.id]);
  t.same(registry.forDriver('other'), []);
});

void t.test('a hold keeps its wall-clock times; expiry and owner loss drop holds', async (t) => {
  const placedAtMs = Date.UTC(2026, 0, 1);
  const registry = new HoldRegistry();
  const timed = registry.add(hold('a', 1), term(placedAtMs, false, 1000), caps).hold;
  t.match(timed, { placedAtMs, expiresAtMs: placedAtMs + 1000, whilePresent: false });
  registry.add(hold('b', 1), term(placedAtMs, true), caps);
  registry.add(hold('b', 2), term(placedAtMs, true), caps);
  t.same(registry.expire(placedAtMs + 999), []);
  t.same(registry.expire(placedAtMs + 1000), [timed], 'at its expiry, not a millisecond later');
  t.equal(registry.dropOwner('b').length, 2);
  t.same(registry.list(), []);
});

void t.test('bad requests are refused', async (t) => {
  const registry = new HoldRegistry();
  t.throws(() => registry.add(hold('a', 0), term(0), caps), { code: 'E_HOLD_INVALID', message: /priority/ });
  t.throws(() => registry.add(hold('a', 1.5), term(0), caps), { code: 'E_HOLD_INVALID' });
  t.throws(() => registry.add({ ...hold('a', 1), personality: '../etc' }, term(0), caps), { code: 'E_HOLD_INVALID', message: /personality/ });
  t.throws(() => registry.add(hold('', 1), term(0), caps), { code: 'E_HOLD_INVALID', message: /owner/ });
  t.throws(() => registry.add(hold('a', 1), term(5, false, 0), caps), { code: 'E_HOLD_INVALID', message: /future/ });
  t.throws(() => registry.add(hold('a', 1), term(5, false, Number.POSITIVE_INFINITY), caps), { code: 'E_HOLD_INVALID', message: /future/ });
  t.same(registry.list(), []);
});

void t.test('an owner past its quota is refused with its count and quota, and nothing changes', async (t) => {
  const registry = new HoldRegistry();
  const quota = { maxPerOwner: 2, maxHolds: 32 };
  registry.add(hold('media', 1), term(0), quota);
  registry.add(hold('media', 2), term(0), quota);
  const before = registry.snapshot();
  t.throws(() => registry.add(hold('media', 3), term(0), quota), { code: 'E_HOLD_QUOTA', message: 'media has 2 holds, its quota is 2: release one first' });
  t.same(registry.snapshot(), before, 'no hold placed, no id used');
  t.equal(registry.add(hold('navigation', 3), term(0), quota).hold.owner, 'navigation', 'another owner has its own quota');
});

void t.test('past the total cap every owner is refused, until a hold ends', async (t) => {
  const registry = new HoldRegistry();
  const full = { maxPerOwner: 10, maxHolds: 2 };
  registry.add(hold('a', 1), term(0, false, 1000), full);
  registry.add(hold('b', 1), term(0), full);
  const before = registry.snapshot();
  t.throws(() => registry.add(hold('c', 1), term(500), full), { code: 'E_HOLDS_FULL', message: '2 holds are in force, as many as there may be (maxHolds 2): try again when one has ended' });
  t.same(registry.snapshot(), before);
  t.equal(registry.add(hold('c', 1), term(1000), full).hold.owner, 'c', 'a hold that has ended leaves room, even before expire() removed it');
});

void t.test('a lease runs from its last renewal; only presence-tied holds of that owner that have not lapsed are renewed', async (t) => {
  const registry = new HoldRegistry();
  const leased = registry.add(hold('media', 1), term(0, true, 3600_000), caps).hold;
  const timed = registry.add(hold('media', 2), term(0, false, 3600_000), caps).hold;
  const other = registry.add(hold('navigation', 1), term(0, true, 3600_000), caps).hold;
  t.same(registry.renewLeases('media', 1800_000, 5400_000), [{ ...leased, expiresAtMs: 5400_000 }]);
  t.same(registry.expire(3600_000).map((h) => h.id), [timed.id, other.id], 'the fixed expiry and the lease not renewed end on time');
  t.same(registry.expire(5399_999), []);
  t.same(registry.renewLeases('media', 5400_000, 9000_000), [], 'a lapsed lease is not brought back');
  t.same(registry.expire(5400_000).map((h) => h.id), [leased.id]);
});

void t.test('a snapshot restores every field, the token still releases, and ids continue', async (t) => {
  const first = new HoldRegistry();
  const leased = first.add(hold('media', 7), term(1000, true), caps);
  const timed = first.add(hold('diag', 9), term(2000), caps);
  const gone = first.add(hold('gone', 1), term(3000), caps);
  first.release(gone.hold.id, gone.token);
  // As a file has it: plain JSON.
  const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<HoldRegistry['snapshot']>;
  t.equal(snapshot.sequence, 3, 'the id of the released hold stays used');
  const second = new HoldRegistry();
  second.restore(snapshot);
  t.same(second.list(), first.list(), 'ids, owners, drivers, personalities, priorities, times and whilePresent');
  t.throws(() => second.release(timed.hold.id, leased.token), { code: 'E_HOLD_TOKEN' }, "another hold's token does not release it");
  t.same(second.release(timed.hold.id, timed.token), timed.hold, 'its own token does');
  t.same(second.release(leased.hold.id, leased.token), leased.hold);
  t.match(second.add(hold('new', 1), term(4000), caps).hold.id, /^h4-[0-9a-f]{8}$/, 'the sequence goes on after h3');
});

void t.test('restored ids count even when the sequence saved is behind them', async (t) => {
  const registry = new HoldRegistry();
  const stored = { id: 'h41-0123abcd', owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 5, placedAtMs: 0, expiresAtMs: 60_000, whilePresent: false, tokenSha256: '0'.repeat(64) };
  registry.restore({ sequence: 7, holds: [stored] });
  t.match(registry.add(hold('new', 1), term(0), caps).hold.id, /^h42-/);
});
