import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { NOW } from './fixtures/signing.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

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
  state.admit('k', { version: 2, digest: A }, 'f');
  t.doesNotThrow(() => state.admit('k', { version: 2, digest: A }, 'f'), 'the same again');
  t.throws(() => state.admit('k', { version: 1, digest: A }, 'f'), { code: 'E_ROLLBACK', file: 'f', path: '/version', text: '1 is older than version 2, trusted before' });
  t.throws(() => state.admit('k', { version: 2, digest: B }, 'f'), { code: 'E_SUBSTITUTION', text: `2 was trusted before with other content (sha256 ${A})` });
  state.admit('k', { version: 3, digest: B }, 'f');
  t.throws(() => state.admit('k', { version: 2, digest: A }, 'f'), { code: 'E_ROLLBACK' });
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
