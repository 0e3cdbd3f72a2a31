import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import { ManifestError, type ManifestErrorCode } from '../../src/manifests/manifest-error.js';
import { parseManifest } from '../../src/manifests/manifest-validator.js';
import { encode, highwayDocument } from './fixtures/documents.js';

const FILE = 'pvnic/highway.dsse.json';

/** Parses `payload` expecting failure and returns the ManifestError for exact checks. */
function failure(payload: Uint8Array): ManifestError {
  try {
    parseManifest(payload, FILE);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('parsed, expected a ManifestError');
}

type Document = ReturnType<typeof highwayDocument>;

/** Applies `change` to a valid document and expects exactly this error. */
function rejects(
  t: Test,
  change: (document: Document) => void,
  code: ManifestErrorCode,
  path: string | undefined,
  text: string,
): void {
  const document = highwayDocument();
  change(document);
  const error = failure(encode(document));
  t.strictSame(
    { code: error.code, file: error.file, path: error.path, text: error.text },
    { code, file: FILE, path, text },
    path ?? '(no path)',
  );
}

void t.test('a valid manifest becomes a normalised, frozen document', (t) => {
  const payload = encode(highwayDocument());
  const document = parseManifest(payload, FILE);
  t.strictSame(document, {
    name: 'highway',
    version: 1,
    description: 'Throughput first: long interrupt coalescing, large DMA rings, no power saving.',
    driverId: 'pvnic',
    driverVersions: '>=1.0.0 <2.0.0',
    instanceProfiles: [],
    inherits: undefined,
    expires: undefined,
    expiresAt: undefined,
    parameters: {
      interrupt_coalescence_time: 4_000_000,
      DMA_buffer_size: 262_144,
      power_saving_mode: 'disabled',
      feature_set: ['gro', 'rx_checksum', 'tso'],
    },
    health: undefined,
    digest: createHash('sha256').update(payload).digest('hex'),
  });
  t.ok(Object.isFrozen(document));
  t.ok(Object.isFrozen(document.parameters));
  t.ok(Object.isFrozen(document.parameters.feature_set));
  t.ok(Object.isFrozen(document.instanceProfiles));
  t.end();
});

void t.test('health: bounds on counter rates for a window, frozen; each bound checked', (t) => {
  const health = { windowMs: 5000, bounds: { rx_dropped_per_s: { max: 100 }, rx_packets_per_s: { min: 10, max: 20_000 } } };
  const document = parseManifest(encode({ ...highwayDocument(), health }), FILE);
  t.strictSame(document.health, health);
  t.ok(Object.isFrozen(document.health) && Object.isFrozen(document.health?.bounds.rx_dropped_per_s));
  const refused = (value: unknown, path: string): void => {
    t.throws(() => parseManifest(encode({ ...highwayDocument(), health: value }), FILE), { code: 'E_SCHEMA', path }, path);
  };
  refused({ windowMs: 50, bounds: { rx_dropped_per_s: { max: 1 } } }, '/health/windowMs');
  refused({ windowMs: 5000, bounds: {} }, '/health/bounds');
  refused({ windowMs: 5000, bounds: { rx_dropped_per_s: {} } }, '/health/bounds/rx_dropped_per_s');
  refused({ windowMs: 5000, bounds: { 'Drops!': { max: 1 } } }, '/health/bounds');
  refused({ windowMs: 5000, bounds: { rx_dropped_per_s: { max: 1, typo: 2 } } }, '/health/bounds/rx_dropped_per_s');
  refused({ windowMs: 5000, bounds: { rx_dropped_per_s: { min: 5, max: 1 } } }, '/health/bounds/rx_dropped_per_s');
  t.end();
});

void t.test('instance profiles, inheritance and expiry are read as written', (t) => {
  const document = highwayDocument();
  Object.assign(document, { instanceProfiles: ['zcu-rear', 'zcu-front'], inherits: 'safe', expires: '2027-01-01T00:00:00Z' });
  t.match(parseManifest(encode(document), FILE), {
    instanceProfiles: ['zcu-rear', 'zcu-front'],
    inherits: 'safe',
    expires: '2027-01-01T00:00:00Z',
    expiresAt: Date.parse('2027-01-01T00:00:00Z'),
  });
  t.end();
});

void t.test('E_SCHEMA for instance profiles, inherits and expires', (t) => {
  rejects(t, (d) => (d.instanceProfiles = []), 'E_SCHEMA', '/instanceProfiles', 'must NOT have fewer than 1 items (got [])');
  rejects(t, (d) => (d.instanceProfiles = ['a', 'a']), 'E_SCHEMA', '/instanceProfiles', 'must NOT have duplicate items (items ## 0 and 1 are identical) (got ["a","a"])');
  rejects(t, (d) => (d.instanceProfiles = ['ZCU']), 'E_SCHEMA', '/instanceProfiles/0', 'must match pattern "^[a-z][a-z0-9-]{0,62}$" (got "ZCU")');
  rejects(t, (d) => (d.inherits = ''), 'E_SCHEMA', '/inherits', 'must match pattern "^[a-z][a-z0-9-]{0,62}$" (got "")');
  rejects(t, (d) => (d.expires = '2027-01-01'), 'E_SCHEMA', '/expires', 'must match pattern "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" (got "2027-01-01")');
  rejects(t, (d) => (d.expires = '2027-02-30T00:00:00Z'), 'E_SCHEMA', '/expires', '"2027-02-30T00:00:00Z" is not a valid UTC time');
  rejects(t, (d) => (d.expires = '2027-01-01T24:00:00Z'), 'E_SCHEMA', '/expires', '"2027-01-01T24:00:00Z" is not a valid UTC time');
  t.end();
});

void t.test('the digest is of the exact bytes, not of the meaning', (t) => {
  const compact = new TextEncoder().encode(JSON.stringify(highwayDocument()));
  const a = parseManifest(compact, FILE);
  const b = parseManifest(encode(highwayDocument()), FILE);
  t.strictSame(a.parameters, b.parameters);
  t.not(a.digest, b.digest);
  t.match(a.digest, /^[0-9a-f]{64}$/);
  t.end();
});

void t.test('parameters are optional one by one', (t) => {
  const document = highwayDocument();
  document.parameters = { power_saving_mode: 'balanced' };
  t.strictSame(parseManifest(encode(document), FILE).parameters, { power_saving_mode: 'balanced' });
  t.end();
});

void t.test('E_DEPTH and E_SIZE come before parsing', (t) => {
  const deep = new TextEncoder().encode(`${'['.repeat(17)}${']'.repeat(17)}`);
  t.match(failure(deep), { code: 'E_DEPTH', path: undefined, text: 'nested deeper than 16 levels at byte 16' });
  t.match(failure(new Uint8Array(256 * 1024 + 1)), { code: 'E_SIZE' });
  t.end();
});

void t.test('E_JSON: not JSON, not UTF-8, empty', (t) => {
  for (const bytes of [
    new TextEncoder().encode('{ "name": '),
    new Uint8Array([0x7b, 0xff, 0x7d]),
    new Uint8Array(0),
  ]) {
    const error = failure(bytes);
    t.equal(error.code, 'E_JSON');
    t.equal(error.path, undefined);
    t.equal(error.message, `${FILE}: ${error.text}`);
    t.ok(error.cause instanceof Error, 'keeps the parser error as cause');
  }
  t.end();
});

void t.test('E_SCHEMA at the top level', (t) => {
  rejects(t, (d) => (d.owner = 'me'), 'E_SCHEMA', '/owner', 'is not allowed');
  rejects(t, (d) => delete d.description, 'E_SCHEMA', '/description', 'is required');
  rejects(t, (d) => (d.version = '1'), 'E_SCHEMA', '/version', 'must be integer (got "1")');
  rejects(t, (d) => (d.version = 1.5), 'E_SCHEMA', '/version', 'must be integer (got 1.5)');
  rejects(t, (d) => (d.version = 0), 'E_SCHEMA', '/version', 'must be >= 1 (got 0)');
  rejects(t, (d) => (d.name = 'Highway'), 'E_SCHEMA', '/name', 'must match pattern "^[a-z][a-z0-9-]{0,62}$" (got "Highway")');
  rejects(t, (d) => (d.name = 'a'.repeat(64)), 'E_SCHEMA', '/name', `must NOT have more than 63 characters (got "${'a'.repeat(56)}...)`);
  rejects(t, (d) => (d.version = 2 ** 31), 'E_SCHEMA', '/version', 'must be <= 2147483647 (got 2147483648)');
  rejects(t, (d) => (d.description = 'x'.repeat(501)), 'E_SCHEMA', '/description', `must NOT have more than 500 characters (got "${'x'.repeat(56)}...)`);
  t.end();
});

void t.test('limits are inclusive', (t) => {
  const document = highwayDocument();
  document.name = 'a'.repeat(63);
  document.description = 'x'.repeat(500);
  t.equal(parseManifest(encode(document), FILE).name, 'a'.repeat(63));
  t.end();
});

void t.test('the failing field is named even for keys ajv reports on the parent', (t) => {
  rejects(t, (d) => (d['a/b~c'] = 1), 'E_SCHEMA', '/a~1b~0c', 'is not allowed');
  // JSON.parse makes "__proto__" an own key; it must be refused, not become a prototype.
  const text = JSON.stringify(highwayDocument()).replace('{', '{"__proto__": {"polluted": true},');
  const error = failure(new TextEncoder().encode(text));
  t.equal(error.path, '/__proto__');
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.end();
});

void t.test('E_SCHEMA for the whole document has no path', (t) => {
  const error = failure(new TextEncoder().encode('[]'));
  t.strictSame({ code: error.code, path: error.path }, { code: 'E_SCHEMA', path: '' });
  t.equal(error.message, `${FILE}: must be object (got [])`);
  t.end();
});

void t.test('E_SCHEMA in driver', (t) => {
  rejects(t, (d) => (d.driver.id = 'PVNIC'), 'E_SCHEMA', '/driver/id', 'must match pattern "^[a-z][a-z0-9_]{0,31}$" (got "PVNIC")');
  rejects(t, (d) => (d.driver.id = 'x'.repeat(33)), 'E_SCHEMA', '/driver/id', `must NOT have more than 32 characters (got "${'x'.repeat(33)}")`);
  rejects(t, (d) => (d.driver.vendor = 'acme'), 'E_SCHEMA', '/driver/vendor', 'is not allowed');
  rejects(t, (d) => delete d.driver.versions, 'E_SCHEMA', '/driver/versions', 'is required');
  rejects(t, (d) => (d.driver.versions = '>=1.0.0; reboot'), 'E_SCHEMA', '/driver/versions', 'must match pattern "^[0-9A-Za-z.*^~<>=| +-]+$" (got ">=1.0.0; reboot")');
  rejects(t, (d) => (d.driver.versions = '$'.repeat(129)), 'E_SCHEMA', '/driver/versions', `must NOT have more than 128 characters (got "${'$'.repeat(56)}...)`);
  rejects(t, (d) => (d.driver.versions = 'not-a-range'), 'E_SCHEMA', '/driver/versions', '"not-a-range" is not a semver range');
  rejects(t, (d) => (d.driver.versions = '>=1.0.0 <2.0.0 garbage'), 'E_SCHEMA', '/driver/versions', '">=1.0.0 <2.0.0 garbage" is not a semver range');
  t.end();
});

void t.test('E_SCHEMA in parameters', (t) => {
  rejects(t, (d) => (d.parameters.mtu = 9000), 'E_SCHEMA', '/parameters/mtu', 'is not allowed');
  rejects(t, (d) => (d.parameters = {}), 'E_SCHEMA', '/parameters', 'must NOT have fewer than 1 properties (got {})');
  rejects(t, (d) => (d.parameters.DMA_buffer_size = '1GB'), 'E_SCHEMA', '/parameters/DMA_buffer_size', 'must match pattern "^(0|[1-9][0-9]*)(B|KB|MB)$" (got "1GB")');
  rejects(t, (d) => (d.parameters.DMA_buffer_size = 262144), 'E_SCHEMA', '/parameters/DMA_buffer_size', 'must be string (got 262144)');
  rejects(t, (d) => (d.parameters.interrupt_coalescence_time = '1.5ms'), 'E_SCHEMA', '/parameters/interrupt_coalescence_time', 'must match pattern "^(0|[1-9][0-9]*)(ns|us|ms|s)$" (got "1.5ms")');
  rejects(t, (d) => (d.parameters.power_saving_mode = 'off'), 'E_SCHEMA', '/parameters/power_saving_mode', 'must be equal to one of the allowed values (got "off")');
  rejects(t, (d) => (d.parameters.feature_set = 'tso'), 'E_SCHEMA', '/parameters/feature_set', 'must be array (got "tso")');
  rejects(t, (d) => (d.parameters.feature_set = ['tso', 'TSO']), 'E_SCHEMA', '/parameters/feature_set/1', 'must match pattern "^[a-z][a-z0-9_]{0,31}$" (got "TSO")');
  rejects(t, (d) => (d.parameters.feature_set = ['tso', 'tso']), 'E_SCHEMA', '/parameters/feature_set', 'must NOT have duplicate items (items ## 0 and 1 are identical) (got ["tso","tso"])');
  const many = Array.from({ length: 33 }, (_, i) => `f${i}`);
  rejects(t, (d) => (d.parameters.feature_set = many), 'E_SCHEMA', '/parameters/feature_set', `must NOT have more than 32 items (got ${JSON.stringify(many).slice(0, 57)}...)`);
  t.end();
});

void t.test('E_UNIT for values the pattern allows but an integer cannot hold', (t) => {
  rejects(t, (d) => (d.parameters.DMA_buffer_size = '8589934592MB'), 'E_UNIT', '/parameters/DMA_buffer_size', '"8589934592MB": size exceeds 9007199254740991');
  rejects(t, (d) => (d.parameters.interrupt_coalescence_time = '9007199254740992ns'), 'E_UNIT', '/parameters/interrupt_coalescence_time', '"9007199254740992ns": duration exceeds 9007199254740991');
  const document = highwayDocument();
  document.parameters.DMA_buffer_size = '8589934592MB';
  t.equal(
    failure(encode(document)).message,
    `${FILE}: /parameters/DMA_buffer_size: "8589934592MB": size exceeds 9007199254740991`,
  );
  t.end();
});
