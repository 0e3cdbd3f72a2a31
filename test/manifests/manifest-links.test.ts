import { cpSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t, { type Test } from 'tap';
import { ConfinedFolder } from '../../src/manifests/confined-file.js';
import { ManifestError } from '../../src/manifests/manifest-error.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { NOW, repository, signedManifest } from './fixtures/signing.js';

const PROFILE = 'cockpit';

/** A manifest folder, with a sibling `outside` for what links point at. */
function manifests(t: Test): string {
  const base = t.testdir({
    manifests: repository({
      pvnic: {
        'highway.dsse.json': signedManifest('highway'),
        [PROFILE]: { 'city.dsse.json': signedManifest('city', { instanceProfiles: [PROFILE] }) },
      },
    }),
    outside: {},
  });
  return join(base, 'manifests');
}

/** As the daemon loads it: the trust folder is seen from the manifest folder, so it may not be a link either. */
function load(dir: string): ManifestStore {
  return ManifestStore.load(dir, new SignedManifestVerifier(ConfinedFolder.within(join(dir, 'trust'), dir)), undefined, { now: () => NOW, instanceProfile: PROFILE });
}

function versions(store: ManifestStore): string[] {
  return store.list().map((p) => `${p.name} v${p.version}`);
}

/** Every manifest below `path` re-signed as version 2: what a link would bring in if it were followed. */
function rewriteAsDecoy(path: string): void {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) rewriteAsDecoy(join(path, name));
  } else if (path.endsWith('.dsse.json')) {
    const name = basename(path, '.dsse.json');
    writeFileSync(path, signedManifest(name, { version: 2, ...(name === 'city' ? { instanceProfiles: [PROFILE] } : {}) }));
  }
}

/** `relativePath` below `dir` replaced by a link to a decoy copy of it, outside the manifest folder. */
function replaceWithLinkToDecoy(dir: string, relativePath: string): void {
  const place = join(dir, relativePath);
  const decoy = join(dir, '../outside', relativePath);
  cpSync(place, decoy, { recursive: true });
  rewriteAsDecoy(decoy);
  rmSync(place, { recursive: true });
  symlinkSync(decoy, place);
}

/** Whether `error` is E_LINK naming `link`, the file or a folder on its way, below `dir`. */
function namesLink(error: unknown, dir: string, link: string): boolean {
  if (!(error instanceof ManifestError) || error.code !== 'E_LINK') return false;
  const place = join(dir, link);
  const policy = `, not followed below ${dir}`;
  return error.file === place ? error.text === `is a symbolic link${policy}` : error.text === `${place} is a symbolic link${policy}`;
}

/** A link to a folder refuses the whole load; a link to a manifest refuses that file. */
const LEVELS: ReadonlyArray<{ level: string; link: string; refuses: 'the load' | 'the file' }> = [
  { level: 'the driver folder', link: 'pvnic', refuses: 'the load' },
  { level: 'the profile folder', link: `pvnic/${PROFILE}`, refuses: 'the load' },
  { level: 'a generic manifest file', link: 'pvnic/highway.dsse.json', refuses: 'the file' },
  { level: 'a profile manifest file', link: `pvnic/${PROFILE}/city.dsse.json`, refuses: 'the file' },
  { level: 'the trust folder', link: 'trust', refuses: 'the load' },
  { level: 'the trust root file', link: 'trust/root.json', refuses: 'the load' },
  { level: 'the mappings folder', link: 'drivers', refuses: 'the load' },
  { level: 'a driver mapping file', link: 'drivers/pvnic/mapping.json', refuses: 'the load' },
];

void t.test('a link at any level below the manifest folder is refused with E_LINK naming it, and a reload changes nothing', async (t) => {
  for (const { level, link, refuses } of LEVELS) {
    await t.test(level, (t) => {
      const dir = manifests(t);
      const store = load(dir);
      t.strictSame(versions(store), ['city v1', 'highway v1']);
      replaceWithLinkToDecoy(dir, link);
      if (refuses === 'the load') {
        const error = t.throws(() => store.reload());
        t.ok(namesLink(error, dir, link), `E_LINK naming ${link}: ${String(error)}`);
        t.throws(() => load(dir), { code: 'E_LINK' }, 'and at start');
      } else {
        const rejected = store.reload().rejected;
        t.equal(rejected.length, 1);
        t.ok(namesLink(rejected[0], dir, link), `E_LINK naming ${link}: ${String(rejected[0])}`);
        t.notOk(load(dir).list().some((p) => p.version === 2), 'at start nothing behind the link is loaded');
      }
      t.strictSame(versions(store), ['city v1', 'highway v1'], 'the personalities in force stay');
      t.end();
    });
  }
});

void t.test('finding 6b: a bundled manifest linked to a signed file outside the manifest folder is refused, as a shared one is', (t) => {
  const dir = manifests(t);
  const outside = join(dir, '../outside/highway.dsse.json');
  writeFileSync(outside, signedManifest('highway', { version: 7 }));
  rmSync(join(dir, 'pvnic/highway.dsse.json'));
  symlinkSync(outside, join(dir, 'pvnic/highway.dsse.json'));
  const store = load(dir);
  t.equal(store.get('pvnic', 'highway'), undefined, 'the file behind the link is not read');
  t.match(store.rejected, [{ code: 'E_LINK', file: join(dir, 'pvnic/highway.dsse.json'), text: `is a symbolic link, not followed below ${dir}` }]);
  t.end();
});

void t.test('the configured folders themselves may be links: an image may keep its manifests on another partition', (t) => {
  const base = t.testdir({ partition: repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }), trust: {} });
  symlinkSync(join(base, 'partition'), join(base, 'manifests'));
  t.strictSame(versions(load(join(base, 'manifests'))), ['highway v1'], 'the manifest folder');
  rmSync(join(base, 'trust'), { recursive: true });
  symlinkSync(join(base, 'partition/trust'), join(base, 'trust'));
  const store = ManifestStore.load(join(base, 'partition'), new SignedManifestVerifier(ConfinedFolder.within(join(base, 'trust'), join(base, 'partition'))), undefined, { now: () => NOW });
  t.strictSame(versions(store), ['highway v1'], 'a trust folder configured outside the manifest folder is its own root');
  t.end();
});
