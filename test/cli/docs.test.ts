import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/commands.js';
import { packageRoot } from '../../src/common/package-root.js';

const root = packageRoot();
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Every file under `dir` (relative to the package), recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((file) => statSync(join(root, file)).isFile());
}

void t.test('no doc, example or help text runs the CLI through npx, which may fetch a stranger\'s package', async (t) => {
  const files = ['README.md', ...filesUnder('docs'), ...filesUnder('yocto-layer'), ...filesUnder('examples'), ...filesUnder('src/cli')].filter((f) => !/\.(png|svg)$/.test(f));
  t.ok(files.includes(join('docs', 'context-and-arbitration.md')) && files.includes(join('yocto-layer', 'README')), 'the docs are among the files read');
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    const found = lines.flatMap((line, i) => (/\bnpx\s+(--?\S+\s+)*persona\b/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    t.same(found, [], file);
  }
});

void t.test('the README keeps its two first commands, and its command table names every command', async (t) => {
  t.match(readme, /^npm ci && npm start$/m);
  t.match(readme, /^npm ci && npm test$/m);
  const table = readme.split('\n').filter((l) => l.startsWith('| `persona '));
  for (const name of Object.keys(COMMANDS)) t.ok(table.some((row) => row.includes(`persona ${name}`)), `persona ${name} has a row`);
  for (const name of ['simulate', 'signals']) t.match(table.find((row) => row.startsWith(`| \`persona ${name} `)), /--vehicle NAME\\\|DIR/, `persona ${name} shows --vehicle`);
});
