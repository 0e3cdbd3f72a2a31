import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { indexChanges } from '../../src/manifests/index-changes.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { NOW, repository, role, signedManifest, signedRoot, testKey } from './fixtures/signing.js';

const at = { now: () => NOW };

/** A store over `pvnic` manifests, and what its next reload changes. */
function reloading(t: Test, pvnic: Record<string, string>) {
  const dir = t.testdir(repository({ pvnic }));
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust')), undefined, at);
  return {
    dir,
    store,
    reload: () => {
      const before = store.inForce;
      return indexChanges(before, store.reload());
    },
  };
}

void t.test('the same manifests again change nothing', (t) => {
  const { reload } = reloading(t, { 'a.dsse.json': signedManifest('a'), 'b.dsse.json': signedManifest('b') });
  t.strictSame(reload(), { personalities: [], rejections: false });
  t.end();
});

void t.test('a new version, an added and a removed personality are changes, listed by name with their versions', (t) => {
  const { dir, reload } = reloading(t, { 'a.dsse.json': signedManifest('a'), 'b.dsse.json': signedManifest('b'), 'c.dsse.json': signedManifest('c') });
  writeFileSync(join(dir, 'pvnic', 'b.dsse.json'), signedManifest('b', { version: 4 }));
  writeFileSync(join(dir, 'pvnic', 'd.dsse.json'), signedManifest('d', { version: 2 }));
  rmSync(join(dir, 'pvnic', 'a.dsse.json'));
  t.strictSame(reload(), {
    personalities: [
      { driverId: 'pvnic', name: 'a', from: 1, to: null },
      { driverId: 'pvnic', name: 'b', from: 1, to: 4 },
      { driverId: 'pvnic', name: 'd', from: null, to: 2 },
    ],
    rejections: false,
  });
  t.end();
});

void t.test('other content under the same version is a change (a load without anti-rollback state admits it)', (t) => {
  const { dir, reload } = reloading(t, { 'a.dsse.json': signedManifest('a') });
  writeFileSync(join(dir, 'pvnic', 'a.dsse.json'), signedManifest('a', { description: 'other words' }));
  t.strictSame(reload().personalities, [{ driverId: 'pvnic', name: 'a', from: 1, to: 1 }]);
  t.end();
});

void t.test('a refused file whose good version stays in force changes only the refusals', (t) => {
  const { dir, reload } = reloading(t, { 'a.dsse.json': signedManifest('a') });
  writeFileSync(join(dir, 'pvnic', 'a.dsse.json'), signedManifest('a', { version: 2 }, [testKey('stranger')]));
  t.strictSame(reload(), { personalities: [], rejections: true });
  t.strictSame(reload(), { personalities: [], rejections: false }, 'the same refusal again is no change');
  t.end();
});

void t.test('a new trust root that signs the same payloads changes nothing', (t) => {
  const { dir, store, reload } = reloading(t, { 'a.dsse.json': signedManifest('a') });
  writeFileSync(join(dir, 'trust', '2.root.json'), signedRoot({ version: 2, personalities: role([testKey('personalities')]) }, [testKey('root')]));
  t.strictSame(reload(), { personalities: [], rejections: false });
  t.equal(store.require('pvnic', 'a').trust.rootVersion, 2, 'verified again under the new root');
  t.end();
});
