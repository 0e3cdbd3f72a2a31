import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { createLogger } from '../../src/common/logger.js';
import { DocumentError } from '../../src/common/schema.js';
import { MAX_DOCUMENT_BYTES } from '../../src/manifests/bounded-json.js';
import { ManifestError } from '../../src/manifests/manifest-error.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { UNSIGNED_TRUST, type ManifestVerifier } from '../../src/manifests/manifest-verifier.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { asText, highwayDocument } from './fixtures/documents.js';
import { MAPPING_TEXT, NOW, repository, signedManifest } from './fixtures/signing.js';
import { packageRoot } from '../../src/common/package-root.js';

const MANIFESTS = join(packageRoot(), 'manifests');
const at = { now: () => NOW };

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('test', 'debug', (line) => lines.push(line)) };
}

function load(dir: string, logger = capture().logger, options = {}): ManifestStore {
  return ManifestStore.load(dir, new SignedManifestVerifier(join(dir, 'trust')), logger, { ...at, ...options });
}

void t.test('the shipped manifests: five signed pvnic personalities', (t) => {
  const store = load(MANIFESTS);
  t.strictSame(store.rejected, []);
  t.strictSame(store.drivers(), ['pvnic']);
  t.strictSame(store.list('pvnic').map((p) => p.name), ['city', 'highway', 'offroad', 'parked', 'safe']);
  t.strictSame(store.list(), store.list('pvnic'));
  const parameters = Object.fromEntries(store.list().map((p) => [p.name, p.parameters]));
  t.strictSame(parameters, {
    city: { interrupt_coalescence_time: 1_000_000, DMA_buffer_size: 65_536, power_saving_mode: 'balanced', feature_set: ['gro', 'rx_checksum'] },
    highway: { interrupt_coalescence_time: 4_000_000, DMA_buffer_size: 262_144, power_saving_mode: 'disabled', feature_set: ['gro', 'rx_checksum', 'tso'] },
    offroad: { interrupt_coalescence_time: 500_000, DMA_buffer_size: 131_072, power_saving_mode: 'disabled', feature_set: ['rx_checksum'] },
    parked: { interrupt_coalescence_time: 8_000_000, DMA_buffer_size: 16_384, power_saving_mode: 'aggressive', feature_set: ['rx_checksum'] },
    safe: { interrupt_coalescence_time: 2_000_000, DMA_buffer_size: 65_536, power_saving_mode: 'balanced', feature_set: ['rx_checksum'] },
  });
  for (const p of store.list()) {
    t.equal(p.source, join(MANIFESTS, 'pvnic', `${p.name}.dsse.json`), 'file name is the name');
    const sourceText = readFileSync(join(MANIFESTS, 'src', 'pvnic', `${p.name}.json`));
    t.equal(p.digest, createHash('sha256').update(sourceText).digest('hex'), 'the digest is of the signed source');
    t.strictSame(Object.keys(p.parameters), ['interrupt_coalescence_time', 'DMA_buffer_size', 'power_saving_mode', 'feature_set'], 'apply order');
    t.match(p, { driverVersions: '>=1.0.0 <2.0.0', instanceProfiles: [], expires: undefined });
    t.match(p.trust, { verifier: 'dsse-ed25519', threshold: 1, rootVersion: 1, signers: [{ name: 'demo-personalities' }] });
  }
  t.strictSame(Object.fromEntries(store.list().map((p) => [p.name, p.version])), { city: 1, highway: 2, offroad: 1, parked: 1, safe: 1 });
  t.strictSame(store.require('pvnic', 'highway').health, { windowMs: 5000, bounds: { rx_dropped_per_s: { max: 100 } } }, 'highway must not drop after its switch');
  const parked = store.require('pvnic', 'parked');
  t.strictSame(parked.inherits, ['safe']);
  t.equal(parked.health, undefined);
  t.strictSame(parked.resolved.map((r) => [r.name, r.from]), [
    ['interrupt_coalescence_time', 'parked'],
    ['DMA_buffer_size', 'parked'],
    ['power_saving_mode', 'parked'],
    ['feature_set', 'safe'],
  ]);
  t.end();
});

void t.test('get, require and list for names that are not there', (t) => {
  const store = load(MANIFESTS);
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
  const dir = t.testdir(repository({ pvnic: { 'bad.dsse.json': '{ "payload": ', 'good.dsse.json': signedManifest('good') } }));
  const { lines, logger } = capture();
  const store = load(dir, logger);
  const bad = join(dir, 'pvnic', 'bad.dsse.json');
  t.equal(store.rejected.length, 1);
  t.match(store.rejected[0], { code: 'E_JSON', file: bad, path: undefined });
  t.ok(store.rejected[0] instanceof ManifestError);
  t.strictSame(store.list().map((p) => p.name), ['good']);
  t.strictSame(lines.filter((line) => line.startsWith('warn')), [`warn  test: rejected ${store.rejected[0]?.message} [E_JSON]`]);
  t.ok(lines.includes(`info  test: 1 personalities for [pvnic] from ${dir} (dsse-ed25519), 1 rejected`));
  t.end();
});

void t.test('an oversize file is E_SIZE before it is read, and displaces nothing', (t) => {
  const dir = t.testdir(repository({
    pvnic: { 'big.dsse.json': signedManifest('big').padEnd(MAX_DOCUMENT_BYTES + 1, ' '), 'highway.dsse.json': signedManifest('highway') },
  }));
  const store = load(dir);
  t.strictSame(store.rejected.map((e) => [e.code, basename(e.file), e.text]), [['E_SIZE', 'big.dsse.json', '262145 bytes exceeds the limit of 262144']]);
  t.strictSame(store.list().map((p) => p.name), ['highway']);
  t.end();
});

void t.test('what is not a manifest is left alone; a plain .json is named in a warning', (t) => {
  const dir = t.testdir(repository({
    'README.md': '# manifests',
    'policy.json': '{}',
    schema: { 'x.dsse.json': '{' },
    keys: { 'x.dsse.json': '{' },
    src: { pvnic: { 'x.dsse.json': '{' } },
    '.git': { 'x.dsse.json': '{' },
    Bad_Driver: { 'x.dsse.json': signedManifest('x') },
    pvnic: {
      'highway.dsse.json': signedManifest('highway'),
      '.#highway.dsse.json': 'lock',
      'notes.txt': 'not json',
      'city.json': asText(highwayDocument()),
    },
  }));
  const { lines, logger } = capture();
  const store = load(dir, logger);
  t.strictSame(store.rejected, []);
  t.strictSame(store.list().map((p) => p.name), ['highway']);
  t.strictSame(lines.filter((l) => l.startsWith('warn')), [
    `warn  test: ignored ${join(dir, 'Bad_Driver')}: folder name is not a driver id`,
    `warn  test: ignored ${join(dir, 'pvnic', 'city.json')}: not a signed manifest (<name>.dsse.json)`,
  ]);
  t.end();
});

void t.test('a manifest entry that is no regular file is E_READ, and a link, even dangling, E_LINK', (t) => {
  const dir = t.testdir(repository({
    pvnic: {
      'folder.dsse.json': {},
      'gone.dsse.json': t.fixture('symlink', 'nowhere.json'),
      'highway.dsse.json': signedManifest('highway'),
    },
  }));
  const store = load(dir);
  t.strictSame(store.rejected.map((e) => [e.code, basename(e.file), e.text]), [
    ['E_READ', 'folder.dsse.json', 'not a regular file'],
    ['E_LINK', 'gone.dsse.json', `is a symbolic link, not followed below ${dir}`],
  ]);
  t.equal(store.list().length, 1);
  t.end();
});

void t.test('several drivers are listed by driver, then name; a driver without mapping gets nothing', (t) => {
  const canfd = (name: string): string => signedManifest(name, { driver: { id: 'canfd', versions: '>=3.0.0' } });
  const dir = t.testdir(repository({
    drivers: {
      pvnic: { 'mapping.json': MAPPING_TEXT },
      canfd: { 'mapping.json': MAPPING_TEXT.replace('"driver": "pvnic"', '"driver": "canfd"') },
    },
    pvnic: { 'city.dsse.json': signedManifest('city'), 'alpha.dsse.json': signedManifest('alpha') },
    canfd: { 'quiet.dsse.json': canfd('quiet'), 'loud.dsse.json': canfd('loud') },
    other: { 'x.dsse.json': signedManifest('x', { driver: { id: 'other', versions: '1.x' } }) },
  }));
  const store = load(dir);
  t.strictSame(store.drivers(), ['canfd', 'pvnic']);
  t.strictSame(store.list().map((p) => `${p.driverId}/${p.name}`), ['canfd/loud', 'canfd/quiet', 'pvnic/alpha', 'pvnic/city']);
  t.strictSame(store.rejected.map((e) => [e.code, e.path, e.text]), [
    ['E_MAPPING', '/driver/id', `driver other has no mapping (${join(dir, 'drivers', 'other', 'mapping.json')})`],
  ]);
  t.end();
});

void t.test('an invalid mapping fails the load with every problem listed, like any configuration', (t) => {
  const broken = JSON.parse(MAPPING_TEXT) as { parameters: Record<string, Record<string, unknown>> };
  Object.assign(broken.parameters.DMA_buffer_size ?? {}, { min: '5MB', order: 1 });
  const dir = t.testdir(repository({ drivers: { pvnic: { 'mapping.json': JSON.stringify(broken) } }, pvnic: {} }));
  const error = t.throws(() => load(dir));
  t.ok(error instanceof DocumentError);
  t.match((error as DocumentError).problems, [
    { path: '/parameters/DMA_buffer_size/order', message: 'is also the order of interrupt_coalescence_time' },
    { path: '/parameters/DMA_buffer_size/max', message: 'is below min 5MB' },
  ]);
  t.end();
});

void t.test('a folder that cannot be read fails the load', (t) => {
  const dir = t.testdir(repository({}));
  const error = t.throws(() => ManifestStore.load(join(dir, 'missing'), new SignedManifestVerifier(join(dir, 'trust')), undefined, at), { code: 'E_READ', file: join(dir, 'missing') });
  t.equal(((error as Error).cause as NodeJS.ErrnoException).code, 'ENOENT');
  t.end();
});

void t.test('the store parses what the verifier returns, not the file', (t) => {
  const payload = asText({ ...highwayDocument(), name: 'wrapped' });
  const wrapping: ManifestVerifier = {
    kind: 'test-envelope',
    refresh: () => 'test',
    verify: (bytes) => ({ payload: bytes.subarray('SIGNED\n'.length), trust: UNSIGNED_TRUST }),
  };
  const dir = t.testdir(repository({ pvnic: { 'wrapped.dsse.json': `SIGNED\n${payload}` } }));
  const { lines, logger } = capture();
  const store = ManifestStore.load(dir, wrapping, logger);
  t.strictSame(store.rejected, []);
  t.equal(store.require('pvnic', 'wrapped').digest, createHash('sha256').update(payload).digest('hex'));
  t.ok(lines.some((line) => line.includes('(test-envelope)')), 'logs the verifier kind');
  t.end();
});

void t.test('a verifier failing with anything but a ManifestError is a bug and surfaces', (t) => {
  const broken: ManifestVerifier = {
    kind: 'broken',
    refresh: () => 'broken',
    verify: () => {
      throw new TypeError('boom');
    },
  };
  const dir = t.testdir(repository({ pvnic: { 'a.dsse.json': signedManifest('a') } }));
  t.throws(() => ManifestStore.load(dir, broken), new TypeError('boom'));
  t.end();
});

void t.test('checkCompatible holds parameters to their driver versions', (t) => {
  const store = load(MANIFESTS);
  const highway = store.require('pvnic', 'highway');
  for (const version of ['1.0.0', '1.9.3', '1.99.0']) {
    t.doesNotThrow(() => store.checkCompatible(highway, version), version);
  }
  const outside = (version: string): string =>
    `${highway.source}: /driver/versions: driver pvnic ${version} is outside ">=1.0.0 <2.0.0"`;
  for (const version of ['0.9.9', '2.0.0', '1.2.0-rc.1']) {
    t.throws(() => store.checkCompatible(highway, version), { code: 'E_DRIVER_VERSION', path: '/driver/versions', message: outside(version) });
  }
  for (const version of ['banana', '', '1.2']) {
    t.throws(() => store.checkCompatible(highway, version), {
      code: 'E_DRIVER_VERSION',
      message: `${highway.source}: /driver/versions: driver pvnic reports ${JSON.stringify(version)}, not a semantic version`,
    });
  }
  t.end();
});
