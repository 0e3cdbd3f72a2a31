import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { silentLogger } from '../../src/common/logger.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { PersonalityAdopter } from '../../src/namespace/personality-adopter.js';
import type { NamespaceDocument } from '../../src/namespace/namespace-source.js';
import { NOW, repository, signedManifest, testKey } from '../manifests/fixtures/signing.js';

const cockpit = (version: number, ring: string, changes: Record<string, unknown> = {}): string =>
  signedManifest('highway', { version, instanceProfiles: ['cockpit'], parameters: { DMA_buffer_size: ring }, ...changes });

function open(dir: string): { store: ManifestStore; adopter: PersonalityAdopter } {
  const rollback = RollbackState.open(join(dir, 'state', 'manifest-state.json'));
  const adoptedDir = join(dir, 'state', 'adopted');
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust'), rollback), silentLogger, { now: () => NOW, rollback, instanceProfile: 'cockpit', adoptedDir });
  return { store, adopter: new PersonalityAdopter(store, adoptedDir, 'cockpit', silentLogger, () => NOW) };
}

function setup(t: Test): { dir: string; store: ManifestStore; adopter: PersonalityAdopter } {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }));
  return { dir, ...open(dir) };
}

const from = (entries: Record<string, string>): Map<string, NamespaceDocument> =>
  new Map(Object.entries(entries).map(([path, text]) => [path, { bytes: Buffer.from(text), origin: `dir:/ns/personalities/${path}` }]));

void t.test('a newer personality for this profile is adopted: verified, in force, kept in the adopted folder', (t) => {
  const { dir, store, adopter } = setup(t);
  t.equal(store.require('pvnic', 'highway').parameters.DMA_buffer_size, 262_144, 'bundled first');
  const outcome = adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': cockpit(2, '1MB') }));
  t.match(outcome?.adopted, [{ personality: 'pvnic/cockpit/highway', version: 2, from: 'dir:/ns/personalities/pvnic/cockpit/highway.dsse.json', atMs: NOW }]);
  t.strictSame(outcome?.refused, []);
  t.equal(outcome?.adopted.length, 1);
  t.equal(store.require('pvnic', 'highway').parameters.DMA_buffer_size, 1_048_576);
  t.ok(existsSync(join(dir, 'state', 'adopted', 'pvnic', 'cockpit', 'highway.dsse.json')));
  t.equal(adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': cockpit(2, '1MB') })), undefined, 'the same bytes again change nothing');
  t.end();
});

void t.test('a rollback through the namespace is refused, and the adopted version stays, on disk too', (t) => {
  const { dir, store, adopter } = setup(t);
  adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': cockpit(3, '1MB') }));
  const onDisk = readFileSync(join(dir, 'state', 'adopted', 'pvnic', 'cockpit', 'highway.dsse.json'));
  const outcome = adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': cockpit(2, '512KB') }));
  t.strictSame(outcome?.adopted, []);
  t.equal(outcome?.refused.length, 1);
  t.match(outcome?.refused[0], { personality: 'pvnic/cockpit/highway', code: 'E_ROLLBACK', error: /^dir:\/ns\/personalities\/pvnic\/cockpit\/highway\.dsse\.json: \/version: 2 is older than version 3/ });
  t.equal(store.require('pvnic', 'highway').version, 3);
  t.strictSame(readFileSync(join(dir, 'state', 'adopted', 'pvnic', 'cockpit', 'highway.dsse.json')), onDisk);
  t.match(adopter.refusals(), [{ code: 'E_ROLLBACK' }]);
  t.equal(adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': cockpit(2, '512KB') })), undefined, 'refused bytes are not tried again');
  t.end();
});

void t.test('a tampered file, a foreign signer and an expired one are refused; what was in force stays', (t) => {
  const { dir, store, adopter } = setup(t);
  const good = JSON.parse(cockpit(2, '1MB')) as { payload: string };
  const tampered = JSON.stringify({ ...JSON.parse(cockpit(2, '1MB')), payload: Buffer.from(Buffer.from(good.payload, 'base64').toString().replace('1MB', '2MB')).toString('base64') });
  const outcome = adopter.adopt(
    from({
      'pvnic/cockpit/highway.dsse.json': tampered,
      'pvnic/cockpit/city.dsse.json': signedManifest('city', { instanceProfiles: ['cockpit'] }, [testKey('stranger')]),
      'pvnic/cockpit/parked.dsse.json': signedManifest('parked', { instanceProfiles: ['cockpit'], expires: '2026-01-01T00:00:00Z' }),
    }),
  );
  t.strictSame(outcome?.adopted, []);
  t.strictSame(
    outcome?.refused.map((r) => [r.personality, r.code]).sort(),
    [
      ['pvnic/cockpit/city', 'E_SIGNATURE'],
      ['pvnic/cockpit/highway', 'E_SIGNATURE'],
      ['pvnic/cockpit/parked', 'E_EXPIRED'],
    ],
  );
  t.equal(store.require('pvnic', 'highway').parameters.DMA_buffer_size, 262_144, 'the bundled one stays');
  t.equal(store.get('pvnic', 'city'), undefined);
  t.notOk(existsSync(join(dir, 'state', 'adopted', 'pvnic', 'cockpit', 'highway.dsse.json')), 'nothing refused is left in the adopted folder');
  t.end();
});

void t.test("another profile's personalities are not this instance's business; a withdrawn one stays adopted", (t) => {
  const { dir, store, adopter } = setup(t);
  t.equal(adopter.adopt(from({ 'pvnic/adas/highway.dsse.json': signedManifest('highway', { version: 5, instanceProfiles: ['adas'] }) })), undefined);
  adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': cockpit(2, '1MB') }));
  t.equal(adopter.adopt(new Map()), undefined, 'the namespace no longer has it');
  store.reload();
  t.equal(store.require('pvnic', 'highway').version, 2, 'only a newer signed version replaces it, after a reload too');
  t.equal(open(dir).store.require('pvnic', 'highway').version, 2, 'and after a restart');
  t.end();
});

void t.test('a file of the namespace at no place of a manifest is refused naming the folder at fault', (t) => {
  const { adopter } = setup(t);
  const outcome = adopter.adopt(from({ 'pv-nic/highway.dsse.json': signedManifest('highway', { version: 2 }) }));
  t.match(outcome?.refused, [{ personality: 'pv-nic/highway', code: 'E_TARGET', error: 'dir:/ns/personalities/pv-nic/highway.dsse.json: pv-nic/highway.dsse.json is not <driver>/[<profile>/]<name>.dsse.json: "pv-nic" is not a driver id' }]);
  t.end();
});

void t.test('a personality signed for another profile cannot be passed off as this one’s', (t) => {
  const { adopter } = setup(t);
  const outcome = adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': signedManifest('highway', { version: 2, instanceProfiles: ['adas'] }) }));
  t.match(outcome?.refused, [{ code: 'E_TARGET', error: /instanceProfiles/ }]);
  t.end();
});

void t.test('after a restart the adopted personalities load from the adopted folder and are listed', (t) => {
  const { dir, adopter } = setup(t);
  adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': cockpit(2, '1MB') }));
  const again = open(dir);
  t.equal(again.store.require('pvnic', 'highway').version, 2);
  t.match(again.adopter.list(), [{ personality: 'pvnic/cockpit/highway', version: 2, atMs: 0 }]);
  t.end();
});

void t.test('junk is refused in memory: nothing is staged and the store is not reloaded', (t) => {
  const { dir, store, adopter } = setup(t);
  const before = store.require('pvnic', 'highway');
  const outcome = adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': '{"payloadType":', 'pvnic/cockpit/city.dsse.json': signedManifest('city', { instanceProfiles: ['cockpit'] }, [testKey('stranger')]) }));
  t.strictSame(outcome?.refused.map((r) => r.code).sort(), ['E_JSON', 'E_SIGNATURE']);
  t.equal(store.require('pvnic', 'highway'), before, 'the same index: no reload happened');
  t.notOk(existsSync(join(dir, 'state', 'adopted')), 'nothing was written');
  t.end();
});

void t.test('a child that arrives before its parent waits for it, then both are adopted', (t) => {
  const { store, adopter } = setup(t);
  const child = signedManifest('city', { version: 2, instanceProfiles: ['cockpit'], inherits: 'base' });
  const first = adopter.adopt(from({ 'pvnic/cockpit/city.dsse.json': child }));
  t.match(first?.refused, [{ personality: 'pvnic/cockpit/city', code: 'E_INHERITS', error: /"base" is neither in force nor in the namespace yet/ }]);
  t.equal(store.get('pvnic', 'city'), undefined);
  const second = adopter.adopt(from({ 'pvnic/cockpit/city.dsse.json': child, 'pvnic/cockpit/base.dsse.json': signedManifest('base', { instanceProfiles: ['cockpit'] }) }));
  t.strictSame(second?.adopted.map((a) => a.personality).sort(), ['pvnic/cockpit/base', 'pvnic/cockpit/city']);
  t.equal(store.require('pvnic', 'city').version, 2);
  t.strictSame(adopter.refusals(), [], 'no refusal is left');
  t.end();
});

void t.test('regression: an old profile-specific v1 from the namespace cannot replace the generic v2 trusted before, live or after a reboot', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway', { version: 2 }) } }));
  const { store, adopter } = open(dir);
  const generic = store.require('pvnic', 'highway');
  t.match(generic, { version: 2, instanceProfiles: [] });
  const stateFile = join(dir, 'state', 'manifest-state.json');
  const state = readFileSync(stateFile, 'utf8');
  const old = cockpit(1, '1MB');
  const outcome = adopter.adopt(from({ 'pvnic/cockpit/highway.dsse.json': old }));
  t.match(outcome?.refused, [{ personality: 'pvnic/cockpit/highway', code: 'E_ROLLBACK', error: /^dir:\/ns\/personalities\/pvnic\/cockpit\/highway\.dsse\.json: \/version: 1 is older than version 2, trusted before at pvnic\/highway$/ }]);
  t.equal(store.require('pvnic', 'highway'), generic, 'v2 stays');
  t.notOk(existsSync(join(dir, 'state', 'adopted', 'pvnic', 'cockpit', 'highway.dsse.json')), 'nothing is staged');

  // As an earlier persona left it: the old file adopted, in the adopted folder at the reboot.
  const adopted = join(dir, 'state', 'adopted', 'pvnic', 'cockpit', 'highway.dsse.json');
  mkdirSync(join(dir, 'state', 'adopted', 'pvnic', 'cockpit'), { recursive: true });
  writeFileSync(adopted, old);
  const rebooted = open(dir);
  t.match(rebooted.store.rejected, [{ code: 'E_ROLLBACK', file: adopted, message: `${adopted}: /version: 1 is older than version 2, trusted before at pvnic/highway` }]);
  t.equal(rebooted.store.rejected.length, 1, '0 rejections was the finding');
  t.match(rebooted.store.require('pvnic', 'highway'), { version: 2, digest: generic.digest, source: join(dir, 'pvnic', 'highway.dsse.json') }, 'v2 stays after the reboot');
  t.strictSame(rebooted.adopter.list(), [], 'the refused file is not listed as adopted');
  t.equal(readFileSync(stateFile, 'utf8'), state, 'the state is as it was');
  t.end();
});
