import { join } from 'node:path';
import t from 'tap';
import { ConfinedFolder } from '../../src/manifests/confined-file.js';
import { PAYLOAD_TYPES } from '../../src/manifests/dsse-envelope.js';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { loadTrustChain, walkTrustChain } from '../../src/manifests/trust-chain.js';
import { TrustRoot, trustRootPayload } from '../../src/manifests/trust-root.js';
import { envelope, NOW, role, signedRoot, testKey } from './fixtures/signing.js';

const root = testKey('root');
const personalities = testKey('personalities');

void t.test('a trust root: keys by derived keyid, roles with thresholds, who signed it', (t) => {
  const trust = TrustRoot.open(signedRoot(), 'root.json');
  t.match(trust, { file: 'root.json', version: 1, expires: '2030-01-01T00:00:00Z', expiresAt: Date.parse('2030-01-01T00:00:00Z') });
  t.match(trust.digest, /^[0-9a-f]{64}$/);
  t.strictSame(trust.signers, [{ keyid: root.keyid, name: 'root' }]);
  t.equal(trust.roles.personalities.threshold, 1);
  t.strictSame([...trust.roles.personalities.keys.keys()], [personalities.keyid]);
  t.equal(trust.roles.root.label, 'the root role of trust root v1');
  t.strictSame(trust.spec('personalities').keys.map((k) => k.name), ['personalities']);
  t.end();
});

void t.test('a trust root is refused when it is inconsistent', (t) => {
  const payload = (change: (d: { keys: Record<string, { public: string }>; roles: Record<string, { keyids: string[]; threshold: number }> }) => void): Uint8Array => {
    const document = JSON.parse(new TextDecoder().decode(trustRootPayload(1, '2030-01-01T00:00:00Z', { root: role([root]), personalities: role([personalities]) }))) as Parameters<typeof change>[0];
    change(document);
    return new TextEncoder().encode(envelope(JSON.stringify(document), [root], PAYLOAD_TYPES.root));
  };
  t.throws(() => TrustRoot.open(payload((d) => (d.roles.root = { keyids: [root.keyid], threshold: 2 })), 'r'), { code: 'E_TRUST', path: '/roles/root/threshold', text: '2 can never be met by the 1 keys of the role' });
  t.throws(() => TrustRoot.open(payload((d) => (d.roles.personalities = { keyids: ['a'.repeat(64)], threshold: 1 })), 'r'), { code: 'E_TRUST', path: '/roles/personalities/keyids/0', text: 'names no key of /keys' });
  t.throws(() => TrustRoot.open(payload((d) => ((d.keys[personalities.keyid] ?? { public: '' }).public = `${'A'.repeat(43)}=`)), 'r'), { code: 'E_TRUST', path: `/keys/${personalities.keyid}` });
  t.throws(() => TrustRoot.open(payload((d) => ((d.keys[personalities.keyid] ?? { public: '' }).public = `${'A'.repeat(42)}B=`)), 'r'), { code: 'E_BASE64' });
  t.throws(() => TrustRoot.open(payload((d) => (d.keys = {})), 'r'), { code: 'E_SCHEMA', path: '/keys' });
  t.throws(() => TrustRoot.open(payload((d) => (d.keys = { KEY: d.keys[root.keyid] ?? { public: '' } })), 'r'), { code: 'E_SCHEMA', path: '/keys/KEY' });
  t.throws(() => TrustRoot.open(signedRoot({ expires: '2030-02-30T00:00:00Z' }), 'r'), { code: 'E_SCHEMA', path: '/expires' });
  t.throws(() => TrustRoot.open(signedRoot({}, [personalities]), 'r'), { code: 'E_SIGNATURE' });
  t.end();
});

void t.test('rotation: old and new root keys sign the next version, one version at a time', (t) => {
  const v1 = TrustRoot.open(signedRoot(), '1');
  const next = testKey('root-2');
  const v2 = v1.next(signedRoot({ version: 2, root: role([next]) }, [root, next]), '2');
  t.equal(v2.version, 2);
  t.strictSame(v2.signers.map((s) => s.name), ['root', 'root-2']);
  t.throws(() => v2.next(signedRoot({ version: 2, root: role([next]) }, [next]), 'again'), { code: 'E_ROLLBACK', path: '/version', text: 'is 2, not newer than the trusted version 2' });
  t.throws(() => v2.next(signedRoot({ version: 4, root: role([next]) }, [next]), 'skip'), { code: 'E_TRUST', text: 'is 4, but the trusted version is 2: version 3 must come first' });
  t.throws(() => v1.next(signedRoot({ version: 2, root: role([next]) }, [root, root]), '2'), { code: 'E_SIGNATURE', text: 'has no valid signature by a key of the root role of trust root v2' });
  t.end();
});

void t.test('the chain: anchor, rotations, pinning in the state, expiry of the newest only', (t) => {
  const next = testKey('root-2');
  const dir = t.testdir({
    'root.json': Buffer.from(signedRoot({ expires: '2026-01-01T00:00:00Z' })).toString(),
    '2.root.json': Buffer.from(signedRoot({ version: 2, root: role([next]) }, [root, next])).toString(),
  });
  const trustFolder = new ConfinedFolder(dir);
  t.equal(walkTrustChain(trustFolder).version, 2);
  const state = RollbackState.open(join(dir, 'missing.json'));
  const trust = loadTrustChain(trustFolder, NOW, state);
  t.equal(trust.file, join(dir, '2.root.json'));
  t.strictSame(state.pinnedRoot, { version: 2, digest: trust.digest }, 'the expired anchor is only a step');
  t.equal(loadTrustChain(trustFolder, NOW, state).version, 2, 'and from the pin on');
  t.throws(() => loadTrustChain(trustFolder, Date.parse('2030-01-01T00:00:00Z')), { code: 'E_EXPIRED' });
  t.end();
});
