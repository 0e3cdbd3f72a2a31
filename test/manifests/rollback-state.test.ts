import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { recordingWriter } from './fixtures/recording-writer.js';
import { DAY, NOW } from './fixtures/signing.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const HOUR = 60 * 60 * 1000;

void t.test('a missing file is a first start; what is learnt is saved atomically', (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'var', 'manifests.json');
  const state = RollbackState.open(file);
  t.equal(state.pinnedRoot, undefined);
  t.equal(state.trustedTime(NOW), NOW);
  state.admit('pvnic/highway', { version: 2, digest: A }, 'h');
  state.admit('pvnic/zcu-rear/city', { version: 1, digest: B }, 'c');
  state.pinRoot({ version: 3, digest: B });
  state.save();
  t.strictSame(JSON.parse(readFileSync(file, 'utf8')), {
    format: 1,
    latestTime: '2026-06-01T00:00:00Z',
    root: { version: 3, digest: B },
    personalities: { 'pvnic/highway': { version: 2, digest: A }, 'pvnic/zcu-rear/city': { version: 1, digest: B } },
  });
  t.equal(statSync(file).mode & 0o777, 0o600, 'only persona reads it');
  t.strictSame(readdirSync(join(dir, 'var')), ['manifests.json'], 'no temporary file is left');
  const again = RollbackState.open(file);
  t.strictSame(again.pinnedRoot, { version: 3, digest: B });
  t.equal(again.trustedTime(NOW - 1000), NOW, 'a clock set back does not move time back');
  t.end();
});

void t.test('admit: higher versions move on; lower ones and other bytes are refused', (t) => {
  const state = RollbackState.open(join(t.testdir({}), 's.json'));
  state.admit('pvnic/highway', { version: 2, digest: A }, 'f');
  t.doesNotThrow(() => state.admit('pvnic/highway', { version: 2, digest: A }, 'f'), 'the same again');
  t.throws(() => state.admit('pvnic/highway', { version: 1, digest: A }, 'f'), { code: 'E_ROLLBACK', file: 'f', path: '/version', text: '1 is older than version 2, trusted before' });
  t.throws(() => state.admit('pvnic/highway', { version: 2, digest: B }, 'f'), { code: 'E_SUBSTITUTION', text: `2 was trusted before with other content (sha256 ${A})` });
  state.admit('pvnic/highway', { version: 3, digest: B }, 'f');
  t.throws(() => state.admit('pvnic/highway', { version: 2, digest: A }, 'f'), { code: 'E_ROLLBACK' });
  t.end();
});

void t.test('a corrupt state file stops everything with E_STATE, whatever is wrong with it', (t) => {
  const cases: Record<string, string | Buffer> = {
    empty: '',
    truncated: '{"format": 1, "latestTime": "2026-',
    'not utf-8': Buffer.from([0x7b, 0xff, 0x7d]),
    'not an object': '[]',
    'other format': JSON.stringify({ format: 2, latestTime: '2026-01-01T00:00:00Z', personalities: {} }),
    'bad time': JSON.stringify({ format: 1, latestTime: '2026-02-30T00:00:00Z', personalities: {} }),
    'bad key': JSON.stringify({ format: 1, latestTime: '2026-01-01T00:00:00Z', personalities: { '../x': { version: 1, digest: A } } }),
    'bad digest': JSON.stringify({ format: 1, latestTime: '2026-01-01T00:00:00Z', personalities: { 'pvnic/x': { version: 1, digest: 'x' } } }),
  };
  const dir = t.testdir(cases);
  for (const name of Object.keys(cases)) {
    t.throws(() => RollbackState.open(join(dir, name)), { code: 'E_STATE', file: join(dir, name), text: /^is corrupt \(.+\): manifests are not loaded until it is restored; deleting it gives up rollback protection$/ }, name);
  }
  t.end();
});

void t.test('a state file that cannot be read is E_STATE too', (t) => {
  const dir = t.testdir({ 'parent-is-a-file': 'x', folder: {} });
  t.throws(() => RollbackState.open(join(dir, 'parent-is-a-file', 's.json')), { code: 'E_STATE', text: /^cannot be read \(ENOTDIR: .+\): manifests are not loaded/ });
  t.throws(() => RollbackState.open(join(dir, 'folder')), { code: 'E_STATE', text: /^cannot be read \(EISDIR: .+\): manifests are not loaded/ });
  t.end();
});

void t.test('a state that cannot be written is E_STATE and leaves the old file as it was', (t) => {
  const old = JSON.stringify({ format: 1, latestTime: '2026-01-01T00:00:00Z', personalities: {} });
  const dir = t.testdir({ 's.json': old, [`s.json.${process.pid}.tmp`]: {} });
  const state = RollbackState.open(join(dir, 's.json'));
  state.trustedTime(NOW);
  t.throws(() => state.save(), { code: 'E_STATE', text: /^cannot be written: EISDIR/ });
  t.equal(readFileSync(join(dir, 's.json'), 'utf8'), old);
  t.ok(statSync(join(dir, `s.json.${process.pid}.tmp`)).isDirectory(), 'what was there is left alone');
  t.end();
});

void t.test('save writes only what the file does not hold yet', (t) => {
  const file = join(t.testdir({}), 's.json');
  const { write, writes } = recordingWriter();
  // The clock is right throughout: the process's monotonic clock runs with it.
  let now = NOW;
  const state = RollbackState.open(file, write, () => now);
  state.trustedTime(now);
  state.admit('pvnic/highway', { version: 2, digest: A }, 'h');
  state.save();
  t.equal(writes.length, 1, 'a first start writes the file');
  state.save();
  state.admit('pvnic/highway', { version: 2, digest: A }, 'h');
  state.trustedTime((now = NOW + HOUR));
  state.save();
  t.equal(writes.length, 1, 'the same version again, or an hour later: nothing new, no write');
  state.admit('pvnic/highway', { version: 3, digest: B }, 'h');
  state.save();
  t.equal(writes.length, 2, 'a new version is written');
  t.match(JSON.parse(writes[1]!), { latestTime: '2026-06-01T01:00:00Z', personalities: { 'pvnic/highway': { version: 3, digest: B } } }, 'with the trusted time as it is');
  state.pinRoot({ version: 2, digest: A });
  state.save();
  t.equal(writes.length, 3, 'a new trust root is written');

  const restarted = recordingWriter();
  const again = RollbackState.open(file, restarted.write, () => now);
  again.trustedTime(NOW + HOUR);
  again.admit('pvnic/highway', { version: 3, digest: B }, 'h');
  again.pinRoot({ version: 2, digest: A });
  again.save();
  t.equal(restarted.writes.length, 0, 'after a restart, what the file already holds is not written again');
  again.trustedTime((now = NOW + HOUR + DAY));
  again.save();
  t.equal(restarted.writes.length, 1, 'a trusted time a day past the one on file is written');
  t.match(JSON.parse(readFileSync(file, 'utf8')), { latestTime: '2026-06-02T01:00:00Z' });
  t.end();
});

void t.test('an expiry passed since the time on file is written at the next save, so a clock set back cannot revive it', (t) => {
  const file = join(t.testdir({}), 's.json');
  const { write, writes } = recordingWriter();
  let now = NOW;
  const state = RollbackState.open(file, write, () => now);
  state.trustedTime(now);
  state.save();
  state.trustedTime((now = NOW + 2 * HOUR));
  state.expiryJudged(NOW + 3 * HOUR);
  state.save();
  t.equal(writes.length, 1, 'an expiry still ahead: no write');
  state.expiryJudged(NOW + HOUR);
  state.save();
  t.equal(writes.length, 2, 'an expiry passed since the time on file: written');
  state.expiryJudged(NOW + HOUR);
  state.save();
  t.equal(writes.length, 2, 'the same expiry again: the file already judges it so');
  const restarted = RollbackState.open(file);
  t.equal(restarted.trustedTime(NOW), NOW + 2 * HOUR, 'with the clock back before the expiry, the trusted time is after it');
  t.end();
});

void t.test('the version floor is per personality: no location of a driver and name goes below what another of them holds', (t) => {
  const state = RollbackState.open(join(t.testdir({}), 's.json'));
  state.admit('pvnic/highway', { version: 2, digest: A }, 'generic');
  t.throws(() => state.check('pvnic/cockpit/highway', { version: 1, digest: B }, 'cockpit'), { code: 'E_ROLLBACK', file: 'cockpit', path: '/version', text: '1 is older than version 2, trusted before at pvnic/highway' });
  t.doesNotThrow(() => state.check('pvnic/cockpit/highway', { version: 2, digest: B }, 'cockpit'), "the same version may differ at another location: a profile's file is not the generic one");
  state.admit('pvnic/cockpit/highway', { version: 3, digest: B }, 'cockpit');
  t.throws(() => state.admit('pvnic/highway', { version: 2, digest: A }, 'generic'), { code: 'E_ROLLBACK', text: '2 is older than version 3, trusted before at pvnic/cockpit/highway' }, 'the generic location is held by the profile too');
  t.throws(() => state.check('pvnic/adas/highway', { version: 2, digest: A }, 'adas'), { code: 'E_ROLLBACK' }, 'and every other profile');
  t.throws(() => state.admit('pvnic/cockpit/highway', { version: 3, digest: A }, 'cockpit'), { code: 'E_SUBSTITUTION' });
  t.doesNotThrow(() => state.check('pvnic/cockpit/city', { version: 1, digest: A }, 'city'), 'another name is another personality');
  t.doesNotThrow(() => state.check('other/highway', { version: 1, digest: A }, 'other'), 'and so is another driver');
  t.end();
});

void t.test('a state file keyed by location from before the floor was per personality keeps every version it held, and protects every location', (t) => {
  const before = `${JSON.stringify({
    format: 1,
    latestTime: '2026-06-01T00:00:00Z',
    personalities: { 'pvnic/cockpit/highway': { version: 3, digest: B }, 'pvnic/highway': { version: 2, digest: A }, 'pvnic/zcu-rear/city': { version: 4, digest: A } },
  }, null, 2)}\n`;
  const file = join(t.testdir({ 's.json': before }), 's.json');
  const { write, writes } = recordingWriter();
  const state = RollbackState.open(file, write);
  state.trustedTime(NOW);
  t.throws(() => state.check('pvnic/highway', { version: 2, digest: A }, 'generic'), { code: 'E_ROLLBACK', text: '2 is older than version 3, trusted before at pvnic/cockpit/highway' }, 'folded by the highest version');
  t.throws(() => state.check('pvnic/city', { version: 3, digest: A }, 'city'), { code: 'E_ROLLBACK', text: '3 is older than version 4, trusted before at pvnic/zcu-rear/city' });
  t.throws(() => state.check('pvnic/cockpit/highway', { version: 3, digest: A }, 'cockpit'), { code: 'E_SUBSTITUTION' }, 'each location keeps its digest');
  state.admit('pvnic/highway', { version: 3, digest: A }, 'generic');
  state.save();
  t.match(JSON.parse(writes[0]!), { format: 1, personalities: { 'pvnic/cockpit/highway': { version: 3, digest: B }, 'pvnic/highway': { version: 3, digest: A }, 'pvnic/zcu-rear/city': { version: 4, digest: A } } }, 'nothing it held is dropped');
  t.end();
});
