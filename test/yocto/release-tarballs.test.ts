import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { pathToFileURL } from 'node:url';
import type * as PackRelease from '../../yocto-layer/scripts/pack-release.mjs';
import { licenseFiles, RecipeVars } from './recipe-vars.js';

const layer = join(packageRoot(), 'yocto-layer');
// Loaded from the layer itself, whether this test runs from its source or compiled into dist/.
const { pack, RELEASE_INC } = (await import(pathToFileURL(join(layer, 'scripts/pack-release.mjs')).href)) as typeof PackRelease;
const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
// The recipes' PV is persona's version: a release renames them.
const daemonRecipe = join(layer, `recipes-support/persona/persona_${version}.bb`);
const out = t.testdir();
// One pack for every check here: it compiles the daemon and installs the production modules.
const packed = pack(out);

function recipes(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? recipes(path) : name.endsWith('.bb') ? [path] : [];
  });
}

void t.test('the recipe pins exactly the tarballs npm run pack:yocto produces', async (t) => {
  const vars = RecipeVars.read(layer, daemonRecipe);
  t.equal(vars.get('SRC_URI[app.sha256sum]'), createHash('sha256').update(readFileSync(packed.app)).digest('hex'), 'persona tarball');
  t.equal(vars.get('SRC_URI[modules.sha256sum]'), createHash('sha256').update(readFileSync(packed.modules)).digest('hex'), 'node_modules tarball');
  t.equal(readFileSync(RELEASE_INC, 'utf8'), packed.inc, 'pins and dependency licenses are current (else: npm run pack:yocto -- --update-recipe)');
});

void t.test('the release tarball carries no signing keys and no unsigned manifest sources', async (t) => {
  const entries = execFileSync('tar', ['-tzf', packed.app], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n');
  t.same(entries.filter((e) => /\/manifests\/(keys|src)\//.test(e)), []);
  t.ok(entries.some((e) => /\/manifests\/pvnic\/.+\.dsse\.json$/.test(e)), 'signed manifests are in');
  t.ok(entries.includes(`persona-${version}/dist/src/cli/main.js`), 'the compiled daemon is in');
  t.same(entries.filter((e) => /\/dist\/(test|bench)\//.test(e) || e.endsWith('.map')), [], 'no tests, benchmarks or source maps');
});

void t.test('every recipe declares LICENSE and a LIC_FILES_CHKSUM whose md5s match the files', async (t) => {
  const unpacked = t.testdir();
  execFileSync('tar', ['-xzf', packed.app, '-C', unpacked]);
  const srcdir = join(unpacked, `persona-${version}`);
  execFileSync('tar', ['-xzf', packed.modules, '-C', srcdir]);
  for (const recipe of recipes(layer)) {
    const name = relative(layer, recipe);
    const vars = RecipeVars.read(layer, recipe, { PERSONA_UNPACKDIR: unpacked });
    const license = vars.get('LICENSE');
    t.match(license, /^[A-Za-z0-9.+-]+( [&|] [A-Za-z0-9.+-]+)*$/, `${name}: LICENSE is a license expression`);
    const chksum = vars.get('LIC_FILES_CHKSUM');
    if (chksum === undefined) {
      // A packagegroup has no sources to carry a license text (as in openembedded-core).
      t.match(readFileSync(recipe, 'utf8'), /^inherit packagegroup$/m, `${name}: only a packagegroup goes without LIC_FILES_CHKSUM`);
      continue;
    }
    const s = vars.get('S')!;
    const files = licenseFiles(chksum);
    t.ok(files.length > 0, `${name}: LIC_FILES_CHKSUM lists files`);
    const mismatched = files.filter((f) => {
      const lines = readFileSync(join(s, f.path)).toString('latin1').split(/(?<=\n)/);
      const begin = f.beginline ?? 1;
      const text = lines.slice(begin - 1, f.endline ?? lines.length).join('');
      return createHash('md5').update(Buffer.from(text, 'latin1')).digest('hex') !== f.md5;
    });
    t.same(mismatched, [], `${name}: ${files.length} license files, every md5 matches`);
  }
});
