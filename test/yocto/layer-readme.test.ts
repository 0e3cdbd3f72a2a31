import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { RecipeVars } from './recipe-vars.js';

const layer = join(packageRoot(), 'yocto-layer');
const conf = RecipeVars.read(layer, join(layer, 'conf/layer.conf'), { LAYERDIR: layer });
const readme = readFileSync(join(layer, 'README'), 'utf8');

function words(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter((w) => w !== '').sort();
}

/** "Label (VARIABLE): a b c" in the README. */
function readmeList(variable: string): string[] {
  const m = new RegExp(`^.*\\(${variable}\\):(.*)$`, 'm').exec(readme);
  return m ? words(m[1]) : [];
}

void t.test('layer.conf declares the collection persona with what the README says', async (t) => {
  t.same(words(conf.get('BBFILE_COLLECTIONS')), ['persona']);
  t.same(words(conf.get('LAYERDEPENDS_persona')), readmeList('LAYERDEPENDS'), 'layer dependencies');
  t.same(words(conf.get('LAYERSERIES_COMPAT_persona')), readmeList('LAYERSERIES_COMPAT'), 'compatible releases');
  t.same(words(conf.get('LAYERDEPENDS_persona')), ['core', 'networking-layer', 'openembedded-layer'], 'core, Node.js, Mosquitto');
  t.same(words(conf.get('LAYERSERIES_COMPAT_persona')), ['scarthgap', 'wrynose'], 'the current LTS releases');
});

void t.test('the README names each dependency with its branch for every compatible release', async (t) => {
  const dependencies = /^Dependencies\n-+\n([\s\S]*?)\n\n\n/m.exec(readme)?.[1] ?? '';
  for (const repo of ['openembedded-core', 'meta-openembedded']) {
    const block = new RegExp(`URI: \\S*/${repo}\\n[\\s\\S]*?branch: (.*)`).exec(dependencies);
    t.ok(block, `${repo} is listed with a branch`);
    for (const release of words(conf.get('LAYERSERIES_COMPAT_persona'))) t.match(block?.[1], new RegExp(`\\b${release}\\b`), `${repo}: branch ${release}`);
  }
  for (const layerName of ['meta-oe', 'meta-networking']) t.match(dependencies, new RegExp(`\\b${layerName}\\b`));
});

void t.test('the README has what the Yocto layer checks ask for, and the files it names exist', async (t) => {
  t.match(readme, /^Maintainers\n-+\n[\s\S]*?<[^@\s>]+@[^>\s]+>/m, 'maintainers with an address');
  t.match(readme, /^Patches\n-+\n\n?\S/m, 'how to send patches');
  t.ok(existsSync(join(layer, 'SECURITY.md')), 'SECURITY.md: how to report a vulnerability');
  t.ok(existsSync(join(layer, 'COPYING.MIT')), 'the license of the metadata');
  for (const recipe of ['persona-kmod', 'persona', 'persona-config', 'persona-mosquitto', 'packagegroup-persona']) t.match(readme, new RegExp(`\`${recipe}\``), `${recipe} is described`);
});
