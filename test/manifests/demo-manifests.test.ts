import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { PAYLOAD_TYPES, signEnvelope } from '../../src/manifests/dsse-envelope.js';
import { keyIdOf, readPublicKey, readSigningKey } from '../../src/manifests/ed25519-keys.js';
import { TrustRoot } from '../../src/manifests/trust-root.js';
import { packageRoot } from '../../src/common/package-root.js';

const MANIFESTS = join(packageRoot(), 'manifests');
const SOURCES = join(MANIFESTS, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.json') ? [path] : [];
  });
}

void t.test('every signed demo manifest is its source, signed by the demo key (manifests/src/sign-demo.sh)', (t) => {
  const key = readSigningKey(join(MANIFESTS, 'keys', 'demo-personalities.private.pem'));
  const files = sources(SOURCES);
  t.equal(files.length, 5);
  for (const source of files) {
    const signed = join(MANIFESTS, relative(SOURCES, source).replace(/\.json$/, '.dsse.json'));
    const expected = signEnvelope(PAYLOAD_TYPES.personality, readFileSync(source), [key]);
    t.equal(readFileSync(signed, 'utf8'), new TextDecoder().decode(expected), `${relative(MANIFESTS, signed)} is up to date`);
  }
  t.end();
});

void t.test('the demo trust root trusts the demo keys, named as such, and nothing else', (t) => {
  const trust = TrustRoot.open(readFileSync(join(MANIFESTS, 'trust', 'root.json')), 'root.json');
  const id = (name: string): string => keyIdOf(readPublicKey(join(MANIFESTS, 'keys', `${name}.public.pem`)));
  t.equal(trust.version, 1);
  t.strictSame([...trust.roles.root.keys.values()].map((k) => [k.keyid, k.name]), [[id('demo-root'), 'demo-root']]);
  t.strictSame([...trust.roles.personalities.keys.values()].map((k) => [k.keyid, k.name]), [[id('demo-personalities'), 'demo-personalities']]);
  t.equal(keyIdOf(readPublicKey(join(MANIFESTS, 'keys', 'demo-root.private.pem'))), id('demo-root'), 'the private key is the public one\'s');
  t.match(readFileSync(join(MANIFESTS, 'keys', 'README.md'), 'utf8'), /^# DEMO keys — never use them for anything real/);
  t.end();
});
