import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/common/logger.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import type { ManifestVerifier, TrustedPayload } from '../../src/manifests/manifest-verifier.js';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { recordingWriter } from './fixtures/recording-writer.js';
import { NOW, repository, role, signedManifest, signedRoot, testKey, type FixtureTree } from './fixtures/signing.js';

const at = { now: () => NOW };
const HOUR = 60 * 60 * 1000;

/** Counts the verifications that were not served from the cache. */
class CountingVerifier implements ManifestVerifier {
  readonly kind = 'counting';
  verified = 0;
  constructor(private readonly inner: ManifestVerifier) {}
  refresh(now: number): string {
    return this.inner.refresh(now);
  }
  verify(bytes: Uint8Array, file: string): TrustedPayload {
    this.verified++;
    return this.inner.verify(bytes, file);
  }
}

void t.test('reload swaps in a whole new index; lookups before see the old one', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }));
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust')), undefined, at);
  const before = store.require('pvnic', 'highway');
  writeFileSync(join(dir, 'pvnic', 'highway.dsse.json'), signedManifest('highway', { version: 2 }));
  writeFileSync(join(dir, 'pvnic', 'city.dsse.json'), signedManifest('city'));
  t.equal(store.require('pvnic', 'highway'), before, 'nothing changes until reload');
  const index = store.reload();
  t.strictSame(index.list().map((p) => `${p.name} v${p.version}`), ['city v1', 'highway v2']);
  t.equal(store.require('pvnic', 'highway').version, 2);
  t.equal(before.version, 1, 'a personality already handed out is never changed');
  t.end();
});

void t.test('a reload that cannot trust anything fails and keeps the index in force', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }));
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust')), undefined, at);
  writeFileSync(join(dir, 'trust', 'root.json'), '{}');
  writeFileSync(join(dir, 'pvnic', 'city.dsse.json'), signedManifest('city'));
  t.throws(() => store.reload(), { code: 'E_ENVELOPE' });
  t.strictSame(store.list().map((p) => p.name), ['highway']);
  t.end();
});

void t.test('a rejected file falls back on what the previous index held in its place', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }));
  const lines: string[] = [];
  const logger = createLogger('test', 'info', (line) => lines.push(line));
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust')), logger, at);
  const good = store.require('pvnic', 'highway');
  writeFileSync(join(dir, 'pvnic', 'highway.dsse.json'), signedManifest('highway', { version: 2 }, [testKey('stranger')]));
  store.reload();
  t.strictSame(store.rejected.map((e) => e.code), ['E_SIGNATURE']);
  t.strictSame(store.require('pvnic', 'highway'), good, 'the good version stays');
  t.ok(lines.includes('warn  test: kept version 1 of pvnic/highway in place of the rejected file'));
  t.end();
});

void t.test('the fallback is not kept across a change of trust root', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }));
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust')), undefined, at);
  writeFileSync(join(dir, 'pvnic', 'highway.dsse.json'), '{');
  // The personalities key is replaced: what it signed is no longer trusted.
  const rotated = signedRoot({ version: 2, personalities: role([testKey('personalities-2')]) }, [testKey('root')]);
  writeFileSync(join(dir, 'trust', '2.root.json'), rotated);
  store.reload();
  t.strictSame(store.list(), []);
  t.end();
});

void t.test('verifications are cached by digest: a reload verifies only what changed', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'a.dsse.json': signedManifest('a'), 'b.dsse.json': signedManifest('b') } }));
  const verifier = new CountingVerifier(new SignedManifestVerifier(join(dir, 'trust')));
  const store = ManifestStore.load(dir, verifier, undefined, at);
  t.equal(verifier.verified, 2);
  store.reload();
  t.equal(verifier.verified, 2, 'unchanged files are not verified again');
  writeFileSync(join(dir, 'pvnic', 'b.dsse.json'), signedManifest('b', { version: 2 }));
  store.reload();
  t.equal(verifier.verified, 3);
  t.equal(store.require('pvnic', 'b').version, 2);
  t.end();
});

// The speed target (a reload of 1,000 in under a second) lives in npm run bench:manifests.
void t.test('1,000 manifests: all load, and a reload swaps in all of them again', (t) => {
  const files = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`m${i}.dsse.json`, signedManifest(`m${i}`)]));
  const dir = t.testdir(repository({ pvnic: files }));
  const state = RollbackState.open(join(dir, 'state', 'manifests.json'));
  const verifier = new SignedManifestVerifier(join(dir, 'trust'), state);
  let started = performance.now();
  const store = ManifestStore.load(dir, verifier, undefined, { ...at, rollback: state });
  const loadMs = performance.now() - started;
  started = performance.now();
  store.reload();
  const reloadMs = performance.now() - started;
  t.equal(store.list().length, 1000);
  t.same(store.rejected, []);
  t.comment(`1,000 signed manifests: load ${loadMs.toFixed(0)} ms, reload ${reloadMs.toFixed(0)} ms`);
  t.end();
});

void t.test('the anti-rollback state is saved at the end of a load; if it cannot be, the index stays', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') }, state: {} }));
  const file = join(dir, 'state', 'manifests.json');
  const state = RollbackState.open(file);
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust'), state), undefined, { ...at, rollback: state });
  t.match(RollbackState.open(file), { file });
  // A folder where the temporary file should go: the write fails.
  mkdirSync(`${file}.${process.pid}.tmp`);
  writeFileSync(join(dir, 'pvnic', 'city.dsse.json'), signedManifest('city'));
  t.throws(() => store.reload(), { code: 'E_STATE', file });
  t.strictSame(store.list().map((p) => p.name), ['highway']);
  t.end();
});

/**
 * A manifest folder with `pvnic` manifests, loaded at the clock `now()`, with its state file
 * written through a recording writer that calls `onWrite` first.
 */
function watchedStore(t: Test, pvnic: FixtureTree, now: () => number, onWrite: () => void = () => {}) {
  const dir = t.testdir(repository({ pvnic }));
  const file = join(dir, 'state', 'manifests.json');
  const { write, writes } = recordingWriter();
  // The wall clock is right in these tests: the process's monotonic clock runs with it.
  const state = RollbackState.open(
    file,
    (f, bytes, modes) => {
      onWrite();
      write(f, bytes, modes);
    },
    now,
  );
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust'), state), undefined, { now, rollback: state });
  return { dir, file, writes, store };
}

/** What shows a write on the file system: a write renames a new file over the old one. */
function fileIdentity(file: string): { ino: bigint; mtimeNs: bigint; text: string } {
  const { ino, mtimeNs } = statSync(file, { bigint: true });
  return { ino, mtimeNs, text: readFileSync(file, 'utf8') };
}

void t.test('reloads of unchanged manifests write nothing, however often and as the clock moves on within a day', (t) => {
  let now = NOW;
  const { file, writes, store } = watchedStore(t, { 'a.dsse.json': signedManifest('a'), 'b.dsse.json': signedManifest('b') }, () => now);
  t.equal(writes.length, 1, 'the first load writes what it trusted');
  const before = fileIdentity(file);
  for (let i = 0; i < 20; i++) {
    now += HOUR;
    store.reload();
  }
  t.equal(writes.length, 1, '20 reloads, 20 hours: no write');
  t.strictSame(fileIdentity(file), before, 'the state file is the same file, untouched');
  t.strictSame(store.list().map((p) => `${p.name} v${p.version}`), ['a v1', 'b v1']);
  t.end();
});

void t.test('a reload that brings a new version writes the state once, before the new version is in force', (t) => {
  // What the store serves while the state is written: the new version must not be in use yet.
  const loaded: { store?: ManifestStore } = {};
  const inForceAtWrite: Array<number | undefined> = [];
  const watched = watchedStore(t, { 'a.dsse.json': signedManifest('a'), 'b.dsse.json': signedManifest('b') }, () => NOW, () => inForceAtWrite.push(loaded.store?.get('pvnic', 'b')?.version));
  const store = (loaded.store = watched.store);
  writeFileSync(join(watched.dir, 'pvnic', 'b.dsse.json'), signedManifest('b', { version: 2 }));
  store.reload();
  t.strictSame(inForceAtWrite, [undefined, 1], 'the first load, then one write while version 1 was still in force');
  t.equal(store.require('pvnic', 'b').version, 2);
  t.match(JSON.parse(readFileSync(watched.file, 'utf8')), { personalities: { 'pvnic/a': { version: 1 }, 'pvnic/b': { version: 2 } } });
  store.reload();
  t.equal(watched.writes.length, 2, 'the next reload finds nothing new');
  t.end();
});

void t.test('an added manifest is written once; a removed one writes nothing and its version stays on file', (t) => {
  const { dir, file, writes, store } = watchedStore(t, { 'a.dsse.json': signedManifest('a') }, () => NOW);
  writeFileSync(join(dir, 'pvnic', 'c.dsse.json'), signedManifest('c', { version: 3 }));
  store.reload();
  t.equal(writes.length, 2, 'c is new: written');
  rmSync(join(dir, 'pvnic', 'c.dsse.json'));
  store.reload();
  t.equal(writes.length, 2, 'c is gone: nothing to write');
  t.strictSame(store.list().map((p) => p.name), ['a']);
  t.match(JSON.parse(readFileSync(file, 'utf8')), { personalities: { 'pvnic/c': { version: 3 } } }, 'its high-water mark stays');
  writeFileSync(join(dir, 'pvnic', 'c.dsse.json'), signedManifest('c', { version: 2 }));
  store.reload();
  t.match(store.rejected, [{ code: 'E_ROLLBACK', file: join(dir, 'pvnic', 'c.dsse.json') }], 'an older c after it came and went is a rollback');
  t.end();
});

void t.test('a rollback is refused across reloads that wrote nothing, and after a restart', (t) => {
  const { dir, file, writes, store } = watchedStore(t, { 'b.dsse.json': signedManifest('b', { version: 2 }) }, () => NOW);
  for (let i = 0; i < 3; i++) store.reload();
  t.equal(writes.length, 1, 'only the first load wrote');
  writeFileSync(join(dir, 'pvnic', 'b.dsse.json'), signedManifest('b', { version: 1 }));
  store.reload();
  t.match(store.rejected, [{ code: 'E_ROLLBACK' }]);
  t.equal(store.require('pvnic', 'b').version, 2, 'version 2 stays in force');
  t.equal(writes.length, 1, 'a refusal teaches the state nothing');
  const state = RollbackState.open(file);
  const restarted = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust'), state), undefined, { ...at, rollback: state });
  t.match(restarted.rejected, [{ code: 'E_ROLLBACK', text: '1 is older than version 2, trusted before' }], 'the restarted daemon refuses it too');
  t.strictSame(restarted.list(), []);
  t.end();
});

void t.test('a reload after a manifest expired writes the trusted time once; a clock set back then does not revive it', (t) => {
  let now = NOW;
  const expiring = signedManifest('a', { expires: '2026-06-01T02:00:00Z' });
  const { dir, file, writes, store } = watchedStore(t, { 'a.dsse.json': expiring, 'b.dsse.json': signedManifest('b') }, () => now);
  now = NOW + HOUR;
  store.reload();
  t.equal(writes.length, 1, 'an hour on, before the expiry: no write');
  now = NOW + 3 * HOUR;
  store.reload();
  store.reload();
  t.match(store.rejected, [{ code: 'E_EXPIRED' }]);
  t.equal(writes.length, 2, 'past the expiry: the trusted time is written, once');
  t.match(JSON.parse(readFileSync(file, 'utf8')), { latestTime: '2026-06-01T03:00:00Z' });
  const state = RollbackState.open(file);
  const restarted = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust'), state), undefined, { ...at, rollback: state });
  t.match(restarted.rejected, [{ code: 'E_EXPIRED', text: 'expired at 2026-06-01T02:00:00Z (trusted time 2026-06-01T03:00:00Z)' }], 'restarted with the clock back at midnight');
  t.end();
});

void t.test('a reload that finds the trust root expired writes nothing; a clock set back in the same run does not revive the root', (t) => {
  let now = NOW;
  const dir = t.testdir(repository({ pvnic: { 'a.dsse.json': signedManifest('a') } }, signedRoot({ expires: '2026-06-01T02:00:00Z' })));
  const file = join(dir, 'state', 'manifests.json');
  const { write, writes } = recordingWriter();
  const state = RollbackState.open(file, write, () => now);
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust'), state), undefined, { now: () => now, rollback: state });
  const before = fileIdentity(file);
  now = NOW + 3 * HOUR;
  t.throws(() => store.reload(), { code: 'E_EXPIRED', path: '/expires' });
  t.equal(writes.length, 1, 'only the first load wrote: a load that fails writes nothing');
  t.strictSame(fileIdentity(file), before);
  now = NOW;
  t.throws(() => store.reload(), { code: 'E_EXPIRED', text: /\(trusted time 2026-06-01T03:00:00Z\)$/ }, 'the clock back at midnight: the trusted time held in memory is past the expiry');
  t.strictSame(store.list().map((p) => p.name), ['a'], 'the index in force stays');
  t.end();
});
