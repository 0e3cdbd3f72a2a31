import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Logger } from '../../src/common/logger.js';
import { ReleaseCatalog, type Release } from '../../src/host/release-catalog.js';
import { demoSigned } from './fixtures/demo-signed.js';

/** A logger that keeps its warnings. */
function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = { error: () => {}, warn: (m) => void lines.push(typeof m === 'string' ? m : m()), info: () => {}, debug: () => {}, child: () => logger };
  return { logger, lines };
}

const versions = (releases: Map<string, Release>): Record<string, number> => Object.fromEntries([...releases].map(([path, r]) => [path, r.version]));

void t.test('a round reads only the release files that changed since the last; a changed one is read again, a removed one dropped', (t) => {
  const dir = t.testdir({
    'highway.dsse.json': demoSigned('highway', { version: 3, instanceProfiles: ['cockpit'] }),
    nested: { 'city.dsse.json': demoSigned('city', { version: 4 }) },
    'README.dsse.json': 'not an envelope',
  });
  const { logger, lines } = warnings();
  const reads: string[] = [];
  const catalog = new ReleaseCatalog(logger, (root, relativePath) => {
    reads.push(relativePath);
    return root.readFile(relativePath);
  });
  const first = versions(catalog.releases(dir));
  t.strictSame(first, { 'pvnic/cockpit/highway.dsse.json': 3, 'pvnic/city.dsse.json': 4 });
  t.strictSame(reads, ['README.dsse.json', 'highway.dsse.json', 'nested/city.dsse.json'], 'the first round reads every file');
  t.match(lines, [/skipped .*README\.dsse\.json.*\[E_JSON\]/]);

  reads.length = 0;
  t.strictSame(versions(catalog.releases(dir)), first, 'an unchanged folder gives the same releases');
  t.strictSame(reads, [], 'and reads no file again');
  t.equal(lines.length, 1, 'a file still skipped is not warned about again');

  // The modification time, set explicitly, tells the change however coarse the file system's clock.
  const highway = join(dir, 'highway.dsse.json');
  writeFileSync(highway, demoSigned('highway', { version: 5, instanceProfiles: ['cockpit'] }));
  utimesSync(highway, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
  rmSync(join(dir, 'nested/city.dsse.json'));
  t.strictSame(versions(catalog.releases(dir)), { 'pvnic/cockpit/highway.dsse.json': 5 }, 'the new version is released, the removed file is not');
  t.strictSame(reads, ['highway.dsse.json'], 'only the changed file is read');
  t.end();
});
