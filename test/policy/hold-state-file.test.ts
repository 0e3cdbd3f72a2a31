import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/common/logger.js';
import { HoldRegistry } from '../../src/policy/hold-registry.js';
import { HoldStateFile } from '../../src/policy/hold-state-file.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const caps = { maxPerOwner: 4, maxHolds: 32 };

function stateFile(dir: string): { file: HoldStateFile; path: string; logs: string[] } {
  const logs: string[] = [];
  const path = join(dir, 'state', 'holds.json');
  return { file: new HoldStateFile(path, createLogger('persona:holds', 'debug', (l) => logs.push(l))), path, logs };
}

/** A registry with a timed hold and a presence-tied one, and their tokens. */
function twoHolds(): { registry: HoldRegistry; tokens: string[] } {
  const registry = new HoldRegistry();
  const timed = registry.add({ owner: 'diag', driverId: 'pvnic', personality: 'highway', priority: 9 }, { placedAtMs: NOW, expiresAtMs: NOW + 90_000, whilePresent: false }, caps);
  const leased = registry.add({ owner: 'head-unit', driverId: 'pvnic', personality: 'offroad', priority: 50 }, { placedAtMs: NOW + 1, expiresAtMs: NOW + 3600_001, whilePresent: true }, caps);
  return { registry, tokens: [timed.token, leased.token] };
}

void t.test('no file yet: no holds, nothing logged, and an empty set is not written', async (t) => {
  const { file, path, logs } = stateFile(t.testdir());
  t.same(file.load(NOW), { sequence: 0, holds: [] });
  await file.save(new HoldRegistry().snapshot());
  t.throws(() => readFileSync(path), { code: 'ENOENT' });
  t.same(logs, []);
});

void t.test('what is saved loads again: wall-clock times as ISO, the token only as its SHA-256', async (t) => {
  const dir = t.testdir();
  const { registry, tokens } = twoHolds();
  const { file, path } = stateFile(dir);
  await file.save(registry.snapshot());
  const text = readFileSync(path, 'utf8');
  for (const token of tokens) t.notOk(text.includes(token), 'no token on disk');
  t.match(JSON.parse(text), {
    format: 1,
    sequence: 2,
    holds: [
      { owner: 'diag', driver: 'pvnic', personality: 'highway', priority: 9, placed: '2026-01-01T12:00:00.000Z', expires: '2026-01-01T12:01:30.000Z', whilePresent: false, tokenSha256: /^[0-9a-f]{64}$/ },
      { owner: 'head-unit', personality: 'offroad', placed: '2026-01-01T12:00:00.001Z', expires: '2026-01-01T13:00:00.001Z', whilePresent: true },
    ],
  });
  const restored = new HoldRegistry();
  restored.restore(stateFile(dir).file.load(NOW));
  t.same(restored.list(), registry.list());
  t.equal(restored.release(registry.list()[1]!.id, tokens[1]!).owner, 'head-unit', 'released with the token of the first run');
});

void t.test('a save that changes nothing does not write', async (t) => {
  const dir = t.testdir();
  const { registry } = twoHolds();
  const { file, path } = stateFile(dir);
  await file.save(registry.snapshot());
  // A marker the next write would replace.
  writeFileSync(path, 'untouched');
  await file.save(registry.snapshot());
  t.equal(readFileSync(path, 'utf8'), 'untouched', 'the same holds again');
  const reloaded = stateFile(dir);
  writeFileSync(path, JSON.stringify({ format: 1, sequence: 0, holds: [] }, null, 2) + '\n');
  reloaded.file.load(NOW);
  writeFileSync(path, 'untouched');
  await reloaded.file.save(new HoldRegistry().snapshot());
  t.equal(readFileSync(path, 'utf8'), 'untouched', 'the holds just loaded');
  await file.save(new HoldRegistry().snapshot());
  t.match(JSON.parse(readFileSync(path, 'utf8')), { holds: [] }, 'a change is written');
});

void t.test('a corrupt file is logged with its file and field, set aside, and persona starts with no holds', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"format": 1, "holds": [', /holds\.json: \/: invalid JSON: /],
    ['a field wrong', JSON.stringify({ format: 1, sequence: 1, holds: [{ id: 'h1-0123abcd', owner: 'a', driver: 'pvnic', personality: 'highway', priority: 0, placed: '2026-01-01T00:00:00.000Z', expires: '2026-01-01T00:01:00.000Z', whilePresent: false, tokenSha256: 'a'.repeat(64) }] }), /holds\.json: \/holds\/0\/priority: must be >= 1/],
    ['a time that is none', JSON.stringify({ format: 1, sequence: 1, holds: [{ id: 'h1-0123abcd', owner: 'a', driver: 'pvnic', personality: 'highway', priority: 1, placed: '2026-13-01T00:00:00.000Z', expires: '2026-01-01T00:01:00.000Z', whilePresent: false, tokenSha256: 'a'.repeat(64) }] }), /holds\.json: \/holds\/0\/placed: "2026-13-01T00:00:00.000Z" is no time/],
  ];
  for (const [what, content, named] of cases) {
    const dir = t.testdir({ state: { 'holds.json': content } });
    const { file, path, logs } = stateFile(dir);
    t.same(file.load(NOW), { sequence: 0, holds: [] }, `${what}: no holds`);
    t.equal(logs.length, 1, what);
    t.match(logs[0], named, `${what}: the log names the file and the field`);
    t.match(logs[0], /^error persona:holds: .*set aside as .*holds\.json\.corrupt-20260101T120000\.000Z; starting with no holds$/);
    t.same(readdirSync(join(dir, 'state')), ['holds.json.corrupt-20260101T120000.000Z'], `${what}: kept aside`);
    t.equal(readFileSync(`${path}.corrupt-20260101T120000.000Z`, 'utf8'), content, `${what}: byte for byte`);
  }
});

void t.test('an unreadable file is set aside too', async (t) => {
  const dir = t.testdir();
  // A folder where the file should be: it cannot be read as one.
  mkdirSync(join(dir, 'state', 'holds.json'), { recursive: true });
  const { file, logs } = stateFile(dir);
  t.same(file.load(NOW).holds, []);
  t.match(logs, [/holds\.json: \/: cannot be read: EISDIR.*set aside as/]);
});

void t.test('a write that fails is logged and tried again at the next change', async (t) => {
  // A file where the state folder should be: nothing can be written under it.
  const dir = t.testdir({ state: 'not a folder' });
  const { file, path, logs } = stateFile(dir);
  const { registry } = twoHolds();
  await t.resolves(file.save(registry.snapshot()), 'a failed write does not reject');
  t.match(logs, [/^error persona:holds: .*holds\.json: cannot be written \(.*\): the holds in force stay, but would not outlive a restart; written again at the next change$/]);
  rmSync(join(dir, 'state'));
  await file.save(registry.snapshot());
  t.equal((JSON.parse(readFileSync(path, 'utf8')) as { holds: unknown[] }).holds.length, 2);
});
