import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MANIFEST_ERROR_CODES, ManifestError } from '../../src/manifests/manifest-error.js';
import { packageRoot } from '../../src/common/package-root.js';

void t.test('a ManifestError names the file, the field and the reason', (t) => {
  const error = new ManifestError('E_UNIT', 'pvnic/highway.dsse.json', 'too big', '/parameters/DMA_buffer_size');
  t.equal(error.message, 'pvnic/highway.dsse.json: /parameters/DMA_buffer_size: too big');
  t.equal(new ManifestError('E_JSON', 'f', 'bad').message, 'f: bad');
  t.equal(error.name, 'ManifestError');
  t.end();
});

void t.test('docs/manifests.md documents every code, and no other', (t) => {
  const docs = readFileSync(join(packageRoot(), 'docs/manifests.md'), 'utf8');
  const table = docs.slice(docs.indexOf('## Error codes'), docs.indexOf('## Real keys'));
  const documented = [...table.matchAll(/^\| `(E_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
  t.strictSame(documented, [...MANIFEST_ERROR_CODES]);
  t.end();
});
