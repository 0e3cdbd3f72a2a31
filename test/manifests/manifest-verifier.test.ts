import t from 'tap';
import { ManifestError } from '../../src/manifests/manifest-error.js';
import { MAX_MANIFEST_BYTES, UnsignedManifestVerifier } from '../../src/manifests/manifest-verifier.js';

const verifier = new UnsignedManifestVerifier();

void t.test('kind names the trust model', (t) => {
  t.equal(verifier.kind, 'unsigned');
  t.end();
});

void t.test('bytes up to 256 KiB come back untouched', (t) => {
  t.equal(MAX_MANIFEST_BYTES, 262_144);
  const atLimit = new Uint8Array(MAX_MANIFEST_BYTES).fill(0x20);
  t.equal(verifier.verify(atLimit, 'a.json'), atLimit, 'same bytes, not a copy');
  const empty = new Uint8Array(0);
  t.equal(verifier.verify(empty, 'a.json'), empty);
  t.end();
});

void t.test('one byte more is E_SIZE, whatever the content', (t) => {
  const error = t.throws(() => verifier.verify(new Uint8Array(MAX_MANIFEST_BYTES + 1), 'big.json'));
  t.ok(error instanceof ManifestError);
  t.match(error, {
    code: 'E_SIZE',
    file: 'big.json',
    path: undefined,
    message: 'big.json: 262145 bytes exceeds the limit of 262144',
  });
  t.end();
});
