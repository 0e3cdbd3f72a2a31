import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createLogger } from '../../src/common/logger.js';
import { ManifestError } from '../../src/manifests/manifest-error.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import {
  MAX_MANIFEST_BYTES,
  UnsignedManifestVerifier,
  type ManifestVerifier,
} from '../../src/manifests/manifest-verifier.js';
import { asText, highwayDocument } from './fixtures/documents.js';

const MANIFESTS = fileURLToPath(new URL('../../manifests', import.meta.url));
const unsigned = new UnsignedManifestVerifier();

function manifest(name: string, changes: Record<string, unknown> = {}): string {
  return asText({ ...highwayDocument(), name, ...changes });
}

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('test', 'debug', (line) => lines.push(line)) };
}

void t.test('the shipped manifests: five pvnic personalities', (t) => {
  const store = ManifestStore.load(MANIFESTS, unsigned);
  t.strictSame(store.rejected, []);
  t.strictSame(store.drivers(), ['pvnic']);
  t.strictSame(
    store.list('pvnic').map((p) => p.name),
    ['city', 'highway', 'offroad', 'parked', 'safe'],
  );
  t.strictSame(store.list(), store.list('pvnic'));
  const parameters = Object.fromEntries(store.list().map((p) => [p.name, p.parameters]));
  t.strictSame(parameters, {
    city: {
      interrupt_coalescence_time: 1_000_000,
      DMA_buffer_size: 65_536,
      power_saving_mode: 'balanced',
      feature_set: ['gro', 'rx_checksum'],
    },
    highway: {
      interrupt_coalescence_time: 4_000_000,
      DMA_buffer_size: 262_144,
      power_saving_mode: 'disabled',
      feature_set: ['gro', 'rx_checksum', 'tso'],
    },
    offroad: {
      interrupt_coalescence_time: 500_000,
      DMA_buffer_size: 131_072,
      power_saving_mode: 'disabled',
      feature_set: ['rx_checksum'],
    },
    parked: {
      interrupt_coalescence_time: 8_000_000,
      DMA_buffer_size: 16_384,
      power_saving_mode: 'aggressive',
      feature_set: ['rx_checksum'],
    },
    safe: {
      interrupt_coalescence_time: 2_000_000,
      DMA_buffer_size: 65_536,
      power_saving_mode: 'balanced',
      feature_set: ['rx_checksum'],
    },
  });
  for (const p of store.list()) {
    t.equal(p.source, join(MANIFESTS, 'pvnic', `${p.name}.json`), 'file name is the name');
    t.equal(p.digest, createHash('sha256').update(readFileSync(p.source)).digest('hex'));
    t.equal(p.driverVersions, '>=1.0.0 <2.0.0');
    t.equal(p.version, 1);
  }
  t.end();
});

void t.test('get, require and list for names that are not there', (t) => {
  const store = ManifestStore.load(MANIFESTS, unsigned);
  t.equal(store.get('pvnic', 'highway')?.name, 'highway');
  t.equal(store.get('pvnic', 'nope'), undefined);
  t.equal(store.get('other', 'highway'), undefined);
  t.equal(store.require('pvnic', 'safe').name, 'safe');
  t.throws(() => store.require('pvnic', 'nope'), {
    code: 'E_NOT_FOUND',
    file: MANIFESTS,
    message: `${MANIFESTS}: no personality "nope" for driver "pvnic"`,
  });
  t.strictSame(store.list('other'), []);
  t.end();
});

void t.test('a bad file is rejected with its reason; the good one still loads', (t) => {
  const dir = t.testdir({
    pvnic: { 'a-bad.json': '{ "name": ', 'b-good.json': manifest('good') },
  });
  const { lines, logger } = capture();
  const store = ManifestStore.load(dir, unsigned, logger);
  const bad = join(dir, 'pvnic', 'a-bad.json');
  t.equal(store.rejected.length, 1);
  t.match(store.rejected[0], { code: 'E_JSON', file: bad, path: undefined });
  t.ok(store.rejected[0] instanceof ManifestError);
  t.strictSame(store.list().map((p) => p.name), ['good']);
  t.strictSame(
    lines.filter((line) => line.startsWith('warn')),
    [`warn  test: rejected ${store.rejected[0]?.message} [E_JSON]`],
  );
  t.ok(lines.includes(`info  test: 1 personalities for [pvnic] from ${dir} (unsigned), 1 rejected`));
  t.end();
});

void t.test('a duplicate name is rejected; the first file in name order stays', (t) => {
  const dir = t.testdir({
    pvnic: {
      'a.json': manifest('highway', { version: 1 }),
      'b.json': manifest('highway', { version: 2 }),
    },
  });
  const store = ManifestStore.load(dir, unsigned);
  const [a, b] = [join(dir, 'pvnic', 'a.json'), join(dir, 'pvnic', 'b.json')];
  t.equal(store.require('pvnic', 'highway').version, 1);
  t.equal(store.require('pvnic', 'highway').source, a);
  t.strictSame(
    store.rejected.map((e) => [e.code, e.file, e.path, e.message]),
    [['E_DUPLICATE', b, '/name', `${b}: /name: personality "highway" is already defined by ${a}`]],
  );
  t.end();
});

void t.test('an oversize file is E_SIZE and displaces nothing', (t) => {
  const dir = t.testdir({
    pvnic: {
      'big.json': manifest('big').padEnd(MAX_MANIFEST_BYTES + 1, ' '),
      'highway.json': manifest('highway'),
    },
  });
  const store = ManifestStore.load(dir, unsigned);
  t.strictSame(
    store.rejected.map((e) => [e.code, basename(e.file)]),
    [['E_SIZE', 'big.json']],
  );
  t.strictSame(store.list().map((p) => p.name), ['highway']);
  t.end();
});

void t.test('a manifest must sit in the folder of its driver', (t) => {
  const dir = t.testdir({
    pvnic: { 'x.json': manifest('x', { driver: { id: 'other', versions: '1.x' } }) },
  });
  const store = ManifestStore.load(dir, unsigned);
  t.strictSame(
    store.rejected.map((e) => [e.code, e.path, e.text]),
    [['E_SCHEMA', '/driver/id', 'driver "other" does not match folder "pvnic"']],
  );
  t.strictSame(store.drivers(), [], 'a driver with nothing loaded is not listed');
  t.end();
});

void t.test('what is not a manifest is left alone', (t) => {
  const dir = t.testdir({
    'README.md': '# manifests',
    schema: { 'personality.schema.json': '{}' },
    '.git': { 'x.json': '{' },
    Bad_Driver: { 'x.json': manifest('x') },
    pvnic: {
      'highway.json': manifest('highway'),
      '.#highway.json': 'lock',
      'notes.txt': 'not json',
    },
  });
  const { lines, logger } = capture();
  const store = ManifestStore.load(dir, unsigned, logger);
  t.strictSame(store.rejected, []);
  t.strictSame(store.list().map((p) => p.name), ['highway']);
  t.ok(lines.includes(`warn  test: ignored ${join(dir, 'Bad_Driver')}: folder name is not a driver id`));
  t.end();
});

void t.test('a .json entry that cannot be read as a file is E_READ', (t) => {
  const dir = t.testdir({
    pvnic: {
      'folder.json': {},
      'gone.json': t.fixture('symlink', 'nowhere.json'),
      'highway.json': manifest('highway'),
    },
  });
  const store = ManifestStore.load(dir, unsigned);
  const gone = join(dir, 'pvnic', 'gone.json');
  t.strictSame(
    store.rejected.map((e) => [e.code, basename(e.file), e.text]),
    [
      ['E_READ', 'folder.json', 'not a regular file'],
      ['E_READ', 'gone.json', `ENOENT: no such file or directory, stat '${gone}'`],
    ],
  );
  t.equal(store.list().length, 1);
  t.end();
});

void t.test('several drivers are listed by driver, then name', (t) => {
  const canfd = (name: string): string =>
    manifest(name, { driver: { id: 'canfd', versions: '>=3.0.0' } });
  const dir = t.testdir({
    pvnic: { 'z.json': manifest('city'), 'y.json': manifest('alpha') },
    canfd: { 'b.json': canfd('quiet'), 'a.json': canfd('loud') },
  });
  const store = ManifestStore.load(dir, unsigned);
  t.strictSame(store.drivers(), ['canfd', 'pvnic']);
  t.strictSame(
    store.list().map((p) => `${p.driverId}/${p.name}`),
    ['canfd/loud', 'canfd/quiet', 'pvnic/alpha', 'pvnic/city'],
  );
  t.end();
});

void t.test('a folder that cannot be read fails the load', (t) => {
  t.throws(() => ManifestStore.load(join(t.testdir({}), 'missing'), unsigned), { code: 'ENOENT' });
  t.end();
});

void t.test('the store parses what the verifier returns, not the file', (t) => {
  const payload = manifest('wrapped');
  const envelope: ManifestVerifier = {
    kind: 'test-envelope',
    verify: (bytes) => bytes.subarray('SIGNED\n'.length),
  };
  const dir = t.testdir({ pvnic: { 'a.json': `SIGNED\n${payload}` } });
  const { lines, logger } = capture();
  const store = ManifestStore.load(dir, envelope, logger);
  t.strictSame(store.rejected, []);
  t.equal(store.require('pvnic', 'wrapped').digest, createHash('sha256').update(payload).digest('hex'));
  t.ok(lines.some((line) => line.includes('(test-envelope)')), 'logs the verifier kind');
  t.end();
});

void t.test('a verifier failing with anything but a ManifestError is a bug and surfaces', (t) => {
  const broken: ManifestVerifier = {
    kind: 'broken',
    verify: () => {
      throw new TypeError('boom');
    },
  };
  const dir = t.testdir({ pvnic: { 'a.json': manifest('a') } });
  t.throws(() => ManifestStore.load(dir, broken), new TypeError('boom'));
  t.end();
});

void t.test('checkCompatible holds parameters to their driver versions', (t) => {
  const store = ManifestStore.load(MANIFESTS, unsigned);
  const highway = store.require('pvnic', 'highway');
  for (const version of ['1.0.0', '1.9.3', '1.99.0']) {
    t.doesNotThrow(() => store.checkCompatible(highway, version), version);
  }
  const outside = (version: string): string =>
    `${highway.source}: /driver/versions: driver pvnic ${version} is outside ">=1.0.0 <2.0.0"`;
  for (const version of ['0.9.9', '2.0.0', '1.2.0-rc.1']) {
    t.throws(() => store.checkCompatible(highway, version), {
      code: 'E_DRIVER_VERSION',
      path: '/driver/versions',
      message: outside(version),
    });
  }
  for (const version of ['banana', '', '1.2']) {
    t.throws(() => store.checkCompatible(highway, version), {
      code: 'E_DRIVER_VERSION',
      message: `${highway.source}: /driver/versions: driver pvnic reports ${JSON.stringify(version)}, not a semantic version`,
    });
  }
  t.end();
});
