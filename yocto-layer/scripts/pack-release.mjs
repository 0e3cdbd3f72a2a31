#!/usr/bin/env node
// Packs the release tarballs the Yocto recipes fetch, byte for byte the same on every run:
//   persona-<version>.tar.gz               compiled dist/, package.json, the addon and kmod
//                                          sources, vehicles, statecharts, signed manifests
//   persona-node-modules-<version>.tar.gz  production node_modules from package-lock.json,
//                                          installed with scripts disabled
// and the recipe's pins for them (recipes-support/persona/persona-release.inc).
//
//   node yocto-layer/scripts/pack-release.mjs [--out DIR] [--update-recipe]
//
// Without --update-recipe the pins are printed; test/yocto compares them with the recipe.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const layer = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(layer, '..');
export const RELEASE_INC = join(layer, 'recipes-support/persona/persona-release.inc');

/** Tracked files only, so build output and local files never leak in. Keys and unsigned manifest sources are private. */
const RELEASED = ['package.json', 'LICENSE', 'native/binding.gyp', 'native/src', 'kmod', 'vehicles', 'statecharts', 'manifests', 'docs/mosquitto.acl.example', 'src/dashboard/static'];
const PRIVATE = [/^manifests\/keys\//, /^manifests\/src\//];

function run(command, args, options = {}) {
  return execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** A tarball whose bytes depend only on the files' names, contents and executable bits. */
function reproducibleTarball(fromDir, entry, outFile) {
  const tar = execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--mode=u=rwX,go=rX', '--format=gnu', '-C', fromDir, '-cf', '-', entry], { maxBuffer: 1 << 30 });
  writeFileSync(outFile, execFileSync('gzip', ['-n', '-9'], { input: tar, maxBuffer: 1 << 30 }));
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function md5(file) {
  return createHash('md5').update(readFileSync(file)).digest('hex');
}

function packApp(stage, name) {
  const dir = join(stage, name);
  const files = run('git', ['ls-files', '-z', '--', ...RELEASED]).split('\0').filter((f) => f !== '' && !PRIVATE.some((p) => p.test(f)));
  for (const file of files) {
    if (!existsSync(join(root, file))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(layer, 'scripts/tsconfig.release.json'), '--outDir', join(dir, 'dist')]);
  chmodSync(join(dir, 'dist/src/cli/main.js'), 0o755); // the persona command links to it
  // The validators' generated code, as npm run build makes it, by the release's own modules;
  // they resolve their dependencies from this checkout's node_modules while it runs.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  try {
    run(process.execPath, [join(dir, 'dist/src/build/precompile-validators.js')], { cwd: dir });
  } finally {
    rmSync(join(dir, 'node_modules'));
  }
  return dir;
}

function packModules(stage) {
  const dir = join(stage, 'modules');
  mkdirSync(dir);
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  return dir;
}

/** The licenses of the production dependencies, as the recipe declares them: names from the lockfile, files from the packages. */
function moduleLicenses(modulesDir) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const names = new Set();
  const files = [];
  for (const [path, entry] of Object.entries(lock.packages).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (path === '' || entry.dev) continue;
    if (typeof entry.license !== 'string') throw new Error(`package-lock.json: ${path} declares no SPDX license`);
    names.add(entry.license);
    const own = readdirSync(join(modulesDir, path)).filter((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f)).sort();
    const file = `${path}/${own[0] ?? 'package.json'}`;
    files.push(`file://${file};md5=${md5(join(modulesDir, file))}`);
  }
  return { license: [...names].sort().join(' & '), files };
}

function releaseInc(pins) {
  return [
    '# Written by `npm run pack:yocto -- --update-recipe`; test/yocto checks it against the tarballs.',
    `SRC_URI[app.sha256sum] = "${pins.app}"`,
    `SRC_URI[modules.sha256sum] = "${pins.modules}"`,
    `PERSONA_MODULES_LICENSE = "${pins.license}"`,
    'PERSONA_MODULES_LIC_FILES_CHKSUM = " \\',
    ...pins.files.map((f) => `    ${f} \\`),
    '"',
    '',
  ].join('\n');
}

/** Packs both tarballs into `out` and returns their paths and the recipe's pins. */
export function pack(out) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const stage = mkdtempSync(join(tmpdir(), 'persona-pack-'));
  try {
    mkdirSync(out, { recursive: true });
    const name = `persona-${version}`;
    const app = join(out, `${name}.tar.gz`);
    const modules = join(out, `persona-node-modules-${version}.tar.gz`);
    packApp(stage, name);
    reproducibleTarball(stage, name, app);
    const modulesDir = packModules(stage);
    reproducibleTarball(modulesDir, 'node_modules', modules);
    const pins = { app: sha256(app), modules: sha256(modules), ...moduleLicenses(modulesDir) };
    return { app, modules, pins, inc: releaseInc(pins) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'build/yocto') }, 'update-recipe': { type: 'boolean', default: false } } });
  const { app, modules, pins, inc } = pack(resolve(values.out));
  console.log(`${pins.app}  ${app}\n${pins.modules}  ${modules}`);
  if (values['update-recipe']) {
    writeFileSync(RELEASE_INC, inc);
    console.log(`pinned in ${RELEASE_INC}`);
  } else if (readFileSync(RELEASE_INC, 'utf8') !== inc) {
    console.log(`the recipe pins other tarballs: npm run pack:yocto -- --update-recipe`);
    process.exitCode = 1;
  }
}
