/**
 * One named test per attack on the manifest trust chain (TUF's list, adapted):
 * each builds the attacker's file, loads it as the car would, and checks the exact
 * code of the rejection.
 */
import fc from 'fast-check';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { MAX_DOCUMENT_BYTES } from '../../src/manifests/bounded-json.js';
import { PAYLOAD_TYPES } from '../../src/manifests/dsse-envelope.js';
import type { ManifestError } from '../../src/manifests/manifest-error.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { asText, highwayDocument } from './fixtures/documents.js';
import { DAY, envelope, type FixtureTree, NOW, repository, role, signedManifest, signedRoot, testKey } from './fixtures/signing.js';

const root = testKey('root');
const personalities = testKey('personalities');

/** Loads `dir` as the daemon does after a restart: state from disk, trust chain, clock at `now`. */
function boot(dir: string, now = NOW, instanceProfile?: string): ManifestStore {
  const state = RollbackState.open(join(dir, 'state.json'));
  const verifier = new SignedManifestVerifier(join(dir, 'trust'), state);
  return ManifestStore.load(dir, verifier, undefined, { rollback: state, now: () => now, instanceProfile });
}

/** The one rejection of a load of `files` under pvnic/, checked against `code`. */
function rejects(t: Test, files: FixtureTree, code: string, text?: string | RegExp): ManifestError | undefined {
  const store = boot(t.testdir(repository({ pvnic: files })));
  t.strictSame(store.rejected.map((e) => e.code), [code]);
  if (text !== undefined) t.match(store.rejected[0]?.text, text);
  t.strictSame(store.list(), [], 'nothing of it is loaded');
  return store.rejected[0];
}

const manifest = (changes: Record<string, unknown> = {}): string => asText({ ...highwayDocument(), ...changes });

void t.test('attack: arbitrary manifest, unsigned', (t) => {
  rejects(t, { 'highway.dsse.json': envelope(manifest(), []) }, 'E_SIGNATURE', 'is not signed');
  rejects(t, { 'highway.dsse.json': manifest() }, 'E_ENVELOPE', 'is required');
  t.end();
});

void t.test('attack: arbitrary manifest, signed by an untrusted key', (t) => {
  const text = /^has no valid signature by a key of the personalities role of trust root v1$/;
  rejects(t, { 'highway.dsse.json': envelope(manifest(), [testKey('attacker')]) }, 'E_SIGNATURE', text);
  // The root key is trusted, but not for personalities.
  rejects(t, { 'highway.dsse.json': envelope(manifest(), [root]) }, 'E_SIGNATURE', text);
  t.end();
});

void t.test('attack: arbitrary manifest, wrong payloadType', (t) => {
  const asRoot = envelope(manifest(), [personalities], PAYLOAD_TYPES.root);
  rejects(t, { 'highway.dsse.json': asRoot }, 'E_PAYLOAD_TYPE', 'is "application/vnd.persona.root+json", expected "application/vnd.persona.personality+json"');
  // The type is signed too: relabelling a signed trust root does not make it a personality.
  const relabelled = Buffer.from(signedRoot()).toString().replace(PAYLOAD_TYPES.root, PAYLOAD_TYPES.personality);
  rejects(t, { 'highway.dsse.json': relabelled }, 'E_SIGNATURE');
  t.end();
});

void t.test('attack: arbitrary manifest, payload changed after signing', (t) => {
  const signed = JSON.parse(signedManifest('highway')) as { payload: string };
  const changed = Buffer.from(manifest({ parameters: { DMA_buffer_size: '4MB' } })).toString('base64');
  rejects(t, { 'highway.dsse.json': JSON.stringify({ ...signed, payload: changed }) }, 'E_SIGNATURE');
  t.end();
});

void t.test('attack: rollback to an older version', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway', { version: 3 }) } }));
  t.equal(boot(dir).require('pvnic', 'highway').version, 3);
  writeFileSync(join(dir, 'pvnic', 'highway.dsse.json'), signedManifest('highway', { version: 2 }));
  const store = boot(dir);
  t.match(store.rejected, [{ code: 'E_ROLLBACK', path: '/version', text: '2 is older than version 3, trusted before' }]);
  t.equal(store.get('pvnic', 'highway'), undefined);
  t.end();
});

/** Where a manifest of pvnic's highway can sit on a cockpit ECU, least specific first: the order in which the newest wins ties. */
const PLACES = [
  { place: 'bundled generic', folder: ['pvnic'], profile: false },
  { place: 'adopted generic', folder: ['state', 'adopted', 'pvnic'], profile: false },
  { place: 'bundled profile-specific', folder: ['pvnic', 'cockpit'], profile: true },
  { place: 'adopted profile-specific', folder: ['state', 'adopted', 'pvnic', 'cockpit'], profile: true },
] as const;

type Place = (typeof PLACES)[number];

/** Boots a cockpit ECU that adopts from the shared namespace into `<dir>/state/adopted`. */
function bootCockpit(dir: string): ManifestStore {
  const state = RollbackState.open(join(dir, 'state.json'));
  const verifier = new SignedManifestVerifier(join(dir, 'trust'), state);
  return ManifestStore.load(dir, verifier, undefined, { rollback: state, now: () => NOW, instanceProfile: 'cockpit', adoptedDir: join(dir, 'state', 'adopted') });
}

/** Puts a highway manifest of `version` at `where`, signed for what its folder must hold. */
function place(dir: string, where: Place, version: number, ring: string): string {
  const file = join(dir, ...where.folder, 'highway.dsse.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, signedManifest('highway', { version, ...(where.profile ? { instanceProfiles: ['cockpit'] } : {}), parameters: { DMA_buffer_size: ring } }));
  return file;
}

void t.test('attack: rollback from any place a manifest can sit, against a version trusted at any place', (t) => {
  const kinds = [
    { kind: 'older', version: 1 },
    { kind: 'same version, other content', version: 2 },
    { kind: 'newer', version: 3 },
  ] as const;
  for (const trusted of PLACES) {
    for (const challenger of PLACES) {
      for (const { kind, version } of kinds) {
        void t.test(`${kind} at ${challenger.place}, v2 trusted at ${trusted.place}`, (t) => {
          const dir = t.testdir(repository({}));
          const trustedFile = place(dir, trusted, 2, '1MB');
          const running = bootCockpit(dir);
          const before = running.require('pvnic', 'highway');
          t.match(before, { version: 2, source: trustedFile }, 'v2 in force');
          const stateBefore = readFileSync(join(dir, 'state.json'), 'utf8');
          const file = place(dir, challenger, version, '2MB');
          const samePlace = challenger === trusted;
          const lessSpecific = PLACES.indexOf(challenger) < PLACES.indexOf(trusted);
          running.reload();
          // A reboot: a new store on the same state file, with nothing of the last load to fall back on.
          const store = bootCockpit(dir);
          const inForce = store.get('pvnic', 'highway');
          const refusals = store.rejected.map((e) => [e.code, e.file]);
          const stateAfter = readFileSync(join(dir, 'state.json'), 'utf8');
          if (kind !== 'newer' && lessSpecific) {
            // It would lose to the file in force even if it were trusted: not this ECU's, as a generic file is on a profile's ECU.
            t.strictSame(refusals, [], 'not chosen, and no rollback to report');
            t.match(inForce, { version: 2, digest: before.digest, source: trustedFile }, 'v2 stays');
            t.equal(stateAfter, stateBefore, 'the state is as it was');
          } else if (kind === 'older' || (kind === 'same version, other content' && challenger.profile === trusted.profile)) {
            t.strictSame(refusals, [[kind === 'older' ? 'E_ROLLBACK' : 'E_SUBSTITUTION', file]], 'refused');
            t.ok(store.rejected[0]?.message.startsWith(`${file}: /version: `), 'the message names the file');
            t.match(running.get('pvnic', 'highway'), { version: 2, digest: before.digest }, 'v2 stays in force in the running store');
            if (samePlace) t.equal(inForce, undefined, 'after a reboot the trusted file is gone, and nothing older takes its place');
            else t.match(inForce, { version: 2, digest: before.digest, source: trustedFile }, 'v2 stays after a reboot');
            t.equal(stateAfter, stateBefore, 'the state is as it was');
          } else {
            // Newer, or as new and more specific: it wins. The trusted file, more specific but now older, is refused.
            t.match(inForce, { version, source: file }, 'in force');
            t.strictSame(refusals, kind === 'newer' && lessSpecific ? [['E_ROLLBACK', trustedFile]] : [], 'refusals');
          }
          t.end();
        });
      }
    }
  }
  t.end();
});

void t.test('attack: rollback, any files at any places over any reboots never resolve a personality below a version it resolved to before', (t) => {
  const base = t.testdir({ repository: repository({}) });
  /** Per place, per version 1..3, two signed variants: the files an attacker could have kept. */
  const signed = PLACES.map((where) => [1, 2, 3].map((version) => ['1MB', '2MB'].map((ring) => signedManifest('highway', { version, ...(where.profile ? { instanceProfiles: ['cockpit'] } : {}), parameters: { DMA_buffer_size: ring } }))));
  const placement = fc.option(fc.record({ version: fc.integer({ min: 1, max: 3 }), variant: fc.integer({ min: 0, max: 1 }) }), { nil: undefined });
  const boots = fc.array(fc.tuple(placement, placement, placement, placement), { minLength: 1, maxLength: 5 });
  let run = 0;
  fc.assert(
    fc.property(boots, (sequence) => {
      const dir = join(base, String(run++));
      cpSync(join(base, 'repository'), dir, { recursive: true });
      let trusted = 0;
      for (const placements of sequence) {
        for (const [i, where] of PLACES.entries()) {
          const file = join(dir, ...where.folder, 'highway.dsse.json');
          const chosen = placements[i];
          if (chosen === undefined) rmSync(file, { force: true });
          else {
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, signed[i]![chosen.version - 1]![chosen.variant]!);
          }
        }
        const inForce = bootCockpit(dir).get('pvnic', 'highway');
        if (inForce !== undefined && inForce.version < trusted) return false;
        trusted = Math.max(trusted, inForce?.version ?? 0);
      }
      return true;
    }),
    { seed: 1, numRuns: 60 },
  );
  t.pass(`${run} sequences of reboots`);
  t.end();
});

void t.test('attack: same-version substitution', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway', { version: 3 }) } }));
  boot(dir);
  const other = signedManifest('highway', { version: 3, parameters: { DMA_buffer_size: '4MB' } });
  writeFileSync(join(dir, 'pvnic', 'highway.dsse.json'), other);
  t.match(boot(dir).rejected, [{ code: 'E_SUBSTITUTION', path: '/version', text: /^3 was trusted before with other content \(sha256 [0-9a-f]{64}\)$/ }]);
  t.end();
});

void t.test('attack: freeze, an expired manifest', (t) => {
  const expired = signedManifest('highway', { expires: '2026-05-31T23:59:59Z' });
  rejects(t, { 'highway.dsse.json': expired }, 'E_EXPIRED', 'expired at 2026-05-31T23:59:59Z (trusted time 2026-06-01T00:00:00Z)');
  t.end();
});

void t.test('attack: freeze, an expired manifest with the clock set back', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway', { expires: '2026-07-01T00:00:00Z' }) } }));
  t.equal(boot(dir, NOW).list().length, 1, 'valid in June');
  // Started every five days, the car's trusted time follows its clock (the bound is a week per start).
  for (let day = 5; day < 60; day += 5) boot(dir, NOW + day * DAY);
  t.match(boot(dir, NOW + 60 * DAY).rejected, [{ code: 'E_EXPIRED' }], 'expired in August');
  const store = boot(dir, NOW);
  t.match(store.rejected, [{ code: 'E_EXPIRED', text: 'expired at 2026-07-01T00:00:00Z (trusted time 2026-07-31T00:00:00Z)' }], 'still expired with the clock back in June');
  t.end();
});

void t.test('attack: freeze, an expired trust root with the clock set back', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }, signedRoot({ expires: '2026-07-01T00:00:00Z' })));
  // One run of the daemon, reloaded daily: its trusted time follows the clock as the days pass.
  const clock = new SimulatedClock(0, NOW);
  let setBack = 0;
  const state = RollbackState.open(join(dir, 'state.json'), undefined, () => clock.now());
  const store = ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust'), state), undefined, { rollback: state, now: () => clock.wallNow() - setBack });
  t.equal(store.list().length, 1, 'valid in June');
  for (let day = 1; day < 60; day++) {
    clock.advance(DAY);
    try {
      store.reload();
    } catch {
      // From July on the root has expired: the reload fails and the index in force stays.
    }
  }
  t.throws(() => store.reload(), { code: 'E_EXPIRED', path: '/expires' }, 'expired in August');
  setBack = 59 * DAY;
  t.throws(() => store.reload(), { code: 'E_EXPIRED', text: /^trust root v1 expired at 2026-07-01T00:00:00Z \(trusted time 2026-07-30T00:00:00Z\)$/ }, 'still expired with the clock back in June');
  t.end();
});

void t.test('attack: threshold, one key signing twice', (t) => {
  const two = signedRoot({ personalities: role([personalities, testKey('second')], 2) });
  const files = { 'highway.dsse.json': envelope(manifest(), [personalities, personalities]) };
  const store = boot(t.testdir(repository({ pvnic: files }, two)));
  t.match(store.rejected, [{ code: 'E_THRESHOLD', text: '1 of the 2 distinct keys the personalities role of trust root v1 requires signed' }]);
  t.end();
});

void t.test('attack: threshold, duplicate keyids', (t) => {
  const two = signedRoot({ personalities: role([personalities, testKey('second')], 2) });
  const signed = JSON.parse(envelope(manifest(), [personalities, testKey('attacker')])) as { signatures: Array<{ keyid: string }> };
  // The attacker's signature claims the keyid of the trusted key that already signed.
  const [first, second] = signed.signatures;
  if (first === undefined || second === undefined) throw new Error('two signatures expected');
  second.keyid = first.keyid;
  const store = boot(t.testdir(repository({ pvnic: { 'highway.dsse.json': JSON.stringify(signed) } }, two)));
  t.match(store.rejected, [{ code: 'E_THRESHOLD' }]);
  t.end();
});

void t.test('attack: threshold, a signature under another trusted key\'s keyid', (t) => {
  const second = testKey('second');
  const two = signedRoot({ personalities: role([personalities, second], 2) });
  const signed = JSON.parse(envelope(manifest(), [personalities, personalities])) as { signatures: Array<{ keyid: string }> };
  const [, copy] = signed.signatures;
  if (copy === undefined) throw new Error('two signatures expected');
  copy.keyid = second.keyid;
  const store = boot(t.testdir(repository({ pvnic: { 'highway.dsse.json': JSON.stringify(signed) } }, two)));
  t.match(store.rejected, [{ code: 'E_THRESHOLD' }]);
  t.end();
});

void t.test('attack: threshold, one key under two keyids in the trust root', (t) => {
  const text = Buffer.from(signedRoot()).toString();
  const document = JSON.parse(Buffer.from((JSON.parse(text) as { payload: string }).payload, 'base64').toString()) as {
    keys: Record<string, unknown>;
    roles: { personalities: { keyids: string[]; threshold: number } };
  };
  const alias = 'f'.repeat(64);
  document.keys[alias] = document.keys[personalities.keyid];
  document.roles.personalities = { keyids: [personalities.keyid, alias], threshold: 2 };
  const forged = envelope(JSON.stringify(document), [root], PAYLOAD_TYPES.root);
  const dir = t.testdir(repository({ pvnic: {} }));
  writeFileSync(join(dir, 'trust', 'root.json'), forged);
  t.throws(() => boot(dir), { code: 'E_TRUST', path: `/keys/${alias}`, text: `is not the keyid of its key (sha256 of it is ${personalities.keyid})` });
  t.end();
});

void t.test('attack: mix-and-match, a manifest for another driver', (t) => {
  const canfd = signedManifest('highway', { driver: { id: 'canfd', versions: '1.x' } });
  rejects(t, { 'highway.dsse.json': canfd }, 'E_TARGET', 'is for driver "canfd", not "pvnic" of its folder');
  t.end();
});

void t.test('attack: mix-and-match, a manifest for another personality', (t) => {
  rejects(t, { 'highway.dsse.json': signedManifest('parked') }, 'E_TARGET', 'is "parked", but the file is named for "highway"');
  t.end();
});

void t.test('attack: mix-and-match, a manifest for another instance profile', (t) => {
  const rear = signedManifest('highway', { instanceProfiles: ['zcu-rear'] });
  const dir = t.testdir(repository({ pvnic: { 'zcu-front': { 'highway.dsse.json': rear } } }));
  const store = boot(dir, NOW, 'zcu-front');
  t.match(store.rejected, [{ code: 'E_TARGET', path: '/instanceProfiles', text: 'is for instance profiles zcu-rear, not "zcu-front" of its folder' }]);
  rejects(t, { 'highway.dsse.json': rear }, 'E_TARGET', 'is for instance profiles zcu-rear, not for the driver\'s generic folder');
  t.end();
});

void t.test('attack: endless data, oversize file', (t) => {
  rejects(t, { 'highway.dsse.json': ' '.repeat(MAX_DOCUMENT_BYTES + 1) }, 'E_SIZE');
  t.end();
});

void t.test('attack: endless data, deep nesting', (t) => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  rejects(t, { 'highway.dsse.json': deep }, 'E_DEPTH', 'nested deeper than 16 levels at byte 16');
  const deepPayload = manifest({ description: undefined }).replace('{', `{"description": ${'['.repeat(20)}${']'.repeat(20)},`);
  rejects(t, { 'highway.dsse.json': envelope(deepPayload) }, 'E_DEPTH');
  t.end();
});

void t.test('attack: endless data, too many signatures', (t) => {
  const many = Array.from({ length: 17 }, () => personalities);
  rejects(t, { 'highway.dsse.json': envelope(manifest(), many) }, 'E_ENVELOPE', /^must NOT have more than 16 items \(got \[\{"keyid":/);
  t.end();
});

void t.test('attack: malformed base64', (t) => {
  const signed = JSON.parse(signedManifest('highway')) as { payload: string; signatures: Array<{ keyid: string; sig: string }> };
  const variants = [
    { ...signed, payload: `${signed.payload.slice(0, -4)}\n${signed.payload.slice(-4)}` },
    { ...signed, payload: signed.payload.replaceAll('=', '') },
    { ...signed, payload: signed.payload.replaceAll('+', '-').replaceAll('/', '_') },
    { ...signed, payload: 'e30=' === signed.payload ? 'x' : 'e31=' },
    { ...signed, signatures: signed.signatures.map((s) => ({ ...s, sig: `${s.sig.slice(0, -3)}B==` })) },
  ];
  for (const variant of variants) {
    const error = rejects(t, { 'highway.dsse.json': JSON.stringify(variant) }, 'E_BASE64', 'is not canonical padded base64');
    t.match(error?.path, /^\/(payload|signatures\/0\/sig)$/);
  }
  t.end();
});

void t.test('attack: root rotation, valid', (t) => {
  const next = testKey('root-2');
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') } }));
  boot(dir);
  const v2 = signedRoot({ version: 2, root: role([next]), personalities: role([testKey('personalities-2')]) }, [root, next]);
  writeFileSync(join(dir, 'trust', '2.root.json'), v2);
  writeFileSync(join(dir, 'pvnic', 'city.dsse.json'), signedManifest('city', {}, [testKey('personalities-2')]));
  const store = boot(dir);
  t.strictSame(store.list().map((p) => `${p.name} root v${p.trust.rootVersion}`), ['city root v2']);
  t.match(store.rejected, [{ code: 'E_SIGNATURE', text: 'has no valid signature by a key of the personalities role of trust root v2' }], 'the old key is no longer trusted');
  t.end();
});

void t.test('attack: root rotation, missing old signatures', (t) => {
  const next = testKey('root-2');
  const dir = t.testdir(repository({ pvnic: {} }));
  writeFileSync(join(dir, 'trust', '2.root.json'), signedRoot({ version: 2, root: role([next]) }, [next]));
  t.throws(() => boot(dir), { code: 'E_SIGNATURE', path: '/signatures', text: 'has no valid signature by a key of the root role of trust root v1' });
  t.end();
});

void t.test('attack: root rotation, missing new signatures', (t) => {
  const next = testKey('root-2');
  const dir = t.testdir(repository({ pvnic: {} }));
  writeFileSync(join(dir, 'trust', '2.root.json'), signedRoot({ version: 2, root: role([next]) }, [root]));
  t.throws(() => boot(dir), { code: 'E_SIGNATURE', text: 'has no valid signature by a key of the root role of trust root v2' });
  const both = testKey('root-3');
  writeFileSync(join(dir, 'trust', '2.root.json'), signedRoot({ version: 2, root: role([next, both], 2) }, [root, next]));
  t.throws(() => boot(dir), { code: 'E_THRESHOLD', text: '1 of the 2 distinct keys the root role of trust root v2 requires signed' });
  t.end();
});

void t.test('attack: root rotation, back to an older trust root', (t) => {
  const next = testKey('root-2');
  const dir = t.testdir(repository({ pvnic: {} }));
  const v2 = join(dir, 'trust', '2.root.json');
  writeFileSync(v2, signedRoot({ version: 2, root: role([next]) }, [root, next]));
  boot(dir);
  // The attacker removes the rotation (to bring back keys that v2 revoked) ...
  rmSync(v2);
  t.throws(() => boot(dir), { code: 'E_ROLLBACK', text: 'trust root v2 was trusted before and is missing: an older trust root is not accepted' });
  // ... or replaces it with another v2 signed by the old root key alone.
  writeFileSync(v2, signedRoot({ version: 2, root: role([root]) }, [root]));
  t.throws(() => boot(dir), { code: 'E_SUBSTITUTION', file: v2 });
  t.end();
});

void t.test('attack: inheritance cycle', (t) => {
  const cycle = {
    'a.dsse.json': signedManifest('a', { inherits: 'b' }),
    'b.dsse.json': signedManifest('b', { inherits: 'a' }),
  };
  const store = boot(t.testdir(repository({ pvnic: cycle })));
  t.match(store.rejected, [
    { code: 'E_CYCLE', path: '/inherits', text: 'inheritance cycle a → b → a' },
    { code: 'E_CYCLE', path: '/inherits', text: 'inheritance cycle b → a → b' },
  ]);
  rejects(t, { 'a.dsse.json': signedManifest('a', { inherits: 'a' }) }, 'E_CYCLE', 'inheritance cycle a → a');
  t.end();
});

void t.test('regression: a child that does not resolve leaves no version on record, so the older one that resolves still loads', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway'), 'city.dsse.json': signedManifest('city', { inherits: 'highway' }) } }));
  const city = join(dir, 'pvnic', 'city.dsse.json');
  const working = readFileSync(city, 'utf8');
  t.equal(boot(dir).require('pvnic', 'city').version, 1);
  writeFileSync(city, signedManifest('city', { version: 2, inherits: 'base' }));
  const store = boot(dir);
  t.match(store.rejected, [{ code: 'E_INHERITS', file: city }]);
  t.match(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')), { personalities: { 'pvnic/city': { version: 1 } } }, 'version 2 never resolved: it is not on record');
  writeFileSync(city, working);
  const again = boot(dir);
  t.strictSame(again.rejected, [], 'version 1 is no rollback');
  t.equal(again.require('pvnic', 'city').version, 1);
  t.end();
});

void t.test('attack: inheritance deeper than 8 levels', (t) => {
  const chain = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}.dsse.json`, signedManifest(`p${i}`, i === 9 ? {} : { inherits: `p${i + 1}` })]));
  const store = boot(t.testdir(repository({ pvnic: chain })));
  t.strictSame(store.rejected.map((e) => [e.code, e.file.split('/').at(-1)]), [['E_INHERITS', 'p0.dsse.json']]);
  t.strictSame(store.require('pvnic', 'p1').inherits, ['p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'], '8 levels are fine');
  t.end();
});

void t.test('attack: unit overflow', (t) => {
  const overflow = signedManifest('highway', { parameters: { DMA_buffer_size: '8589934592MB' } });
  rejects(t, { 'highway.dsse.json': overflow }, 'E_UNIT', '"8589934592MB": size exceeds 9007199254740991');
  const huge = signedManifest('highway', { parameters: { interrupt_coalescence_time: `${'9'.repeat(31)}s` } });
  rejects(t, { 'highway.dsse.json': huge }, 'E_UNIT');
  t.end();
});

void t.test('attack: out-of-range value', (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ DMA_buffer_size: '8MB' }, '8MB is outside 4KB..4MB'],
    [{ DMA_buffer_size: '1KB' }, '1KB is outside 4KB..4MB'],
    [{ interrupt_coalescence_time: '101ms' }, '101ms is outside 0us..100ms'],
    [{ interrupt_coalescence_time: '1500ns' }, '1500ns is not a whole number of us, the unit of rx-usecs'],
    [{ feature_set: ['tso', 'turbo'] }, 'turbo not in {gro,lro,rx_checksum,sg,tso,tx_checksum}'],
  ];
  for (const [parameters, text] of cases) {
    const error = rejects(t, { 'highway.dsse.json': signedManifest('highway', { parameters }) }, 'E_MAPPING', text);
    t.equal(error?.path, `/parameters/${Object.keys(parameters)[0] ?? ''}`);
  }
  t.end();
});

void t.test('attack: corrupt anti-rollback state stops loading instead of starting over', (t) => {
  const dir = t.testdir(repository({ pvnic: { 'highway.dsse.json': signedManifest('highway') }, 'state.json': '{"format": 1, "latestTime": ' }));
  t.throws(() => boot(dir), { code: 'E_STATE', text: /^is corrupt \(.+\): manifests are not loaded until it is restored; deleting it gives up rollback protection$/ });
  t.end();
});
