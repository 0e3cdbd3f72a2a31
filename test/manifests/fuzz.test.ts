/**
 * Generated and mutated manifests, envelopes and trust roots through the code that
 * meets untrusted bytes. Whatever comes in, the only way out is acceptance or a
 * ManifestError with a documented code naming the file: no other exception escapes.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { PAYLOAD_TYPES, signEnvelope } from '../../src/manifests/dsse-envelope.js';
import { MANIFEST_ERROR_CODES, ManifestError } from '../../src/manifests/manifest-error.js';
import { parseManifest } from '../../src/manifests/manifest-validator.js';
import { ParameterMapping } from '../../src/manifests/parameter-mapping.js';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { applyTimeReset, timeResetPayload } from '../../src/manifests/time-reset.js';
import { TrustRoot } from '../../src/manifests/trust-root.js';
import { asText, highwayDocument } from './fixtures/documents.js';
import { NOW, repository, role, signedManifest, signedRoot, testKey } from './fixtures/signing.js';
import { packageRoot } from '../../src/common/package-root.js';

const FILE = 'pvnic/highway.dsse.json';
const DOCUMENTED: ReadonlySet<string> = new Set(MANIFEST_ERROR_CODES);
const mapping = ParameterMapping.load(join(packageRoot(), 'manifests/drivers/pvnic/mapping.json'), 'pvnic');
const encoder = new TextEncoder();

/** Outcomes by code, over every case of every part. */
const tally = new Map<string, number>();
let cases = 0;

function outcome(run: () => unknown): void {
  cases++;
  let result = 'accepted';
  try {
    run();
  } catch (error) {
    if (!(error instanceof ManifestError) || !DOCUMENTED.has(error.code) || !error.message.startsWith(`${error.file}: `)) throw error;
    result = error.code;
  }
  tally.set(result, (tally.get(result) ?? 0) + 1);
}

// ----------------------------------------------------------------- inputs

const validEnvelope = encoder.encode(signedManifest('highway'));
const validPayload = encoder.encode(asText(highwayDocument()));
const validRoot = signedRoot();

type Mutation =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 2, max: 40 }) }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    if (m.kind === 'set' && at < out.length) out[at] = m.byte;
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    else if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
    else if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'repeat') out = Buffer.concat([out.subarray(0, at), ...Array<Buffer>(m.times).fill(out.subarray(at, at + m.length)), out.subarray(at)]);
  }
  return out;
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

/**
 * Mostly values a manifest might hold, now and then a near miss or any JSON at all,
 * so that many cases get past the schema to units, mapping and what follows.
 */
const mostly = <T>(valid: fc.Arbitrary<T>, nearMiss: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: nearMiss }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
const amount = (units: string[]): fc.Arbitrary<unknown> =>
  mostly(
    fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.nat({ max: 200_000 }) }, fc.bigInt({ min: 0n, max: 10n ** 30n })), fc.constantFrom(...units)).map(([n, u]) => `${n}${u}`),
    fc.oneof(fc.constantFrom('1.5ms', '01ms', '1 ms', '1GB', '-1B', '1KiB'), fc.string({ maxLength: 12 })),
  );
const documents = fc
  .tuple(
    fc.record({
      name: mostly(fc.constantFrom('highway', 'safe', 'x-1'), fc.constantFrom('Highway', '', 'a'.repeat(64))),
      version: mostly(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, -1, 2 ** 31, 1.5, '1')),
      description: mostly(fc.string({ maxLength: 100 }), fc.string({ minLength: 501, maxLength: 520 })),
      driver: mostly(
        fc.record({ id: fc.constant('pvnic'), versions: fc.constantFrom('>=1.0.0 <2.0.0', '1.x', '^1.2.3 || >=2.0.0') }),
        fc.record({ id: fc.constantFrom('PVNIC', 'canfd', ''), versions: fc.constantFrom('garbage', '', '>=1; reboot') }),
      ),
      parameters: mostly(
        fc.record(
          {
            interrupt_coalescence_time: amount(['ns', 'us', 'ms', 's']),
            DMA_buffer_size: amount(['B', 'KB', 'MB']),
            power_saving_mode: mostly(fc.constantFrom('disabled', 'balanced', 'aggressive'), fc.constantFrom('off', 'Balanced')),
            feature_set: mostly(fc.uniqueArray(fc.constantFrom('gro', 'lro', 'tso', 'sg'), { maxLength: 4 }), fc.constantFrom(['turbo'], ['GRO'], ['tso', 'tso'])),
          },
          { requiredKeys: [] },
        ),
        fc.constantFrom({}, { mtu: 1500 }),
      ),
    }),
    fc.record(
      {
        instanceProfiles: mostly(fc.uniqueArray(fc.constantFrom('zcu-rear', 'zcu-front'), { minLength: 1 }), fc.constantFrom([], ['Z'], [''])),
        inherits: mostly(fc.constantFrom('safe', 'highway'), fc.constantFrom('', 'Bad')),
        expires: mostly(fc.constantFrom('2027-01-01T00:00:00Z', '2025-01-01T00:00:00Z'), fc.constantFrom('2027-02-30T00:00:00Z', '2027-01-01', '')),
      },
      { requiredKeys: [] },
    ),
    fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 1 }), { freq: 10 }),
  )
  .map(([required, optional, extra]) => ({ ...required, ...optional, ...(extra ?? {}) }));

const structural = fc.record({
  field: fc.constantFrom('payloadType', 'payload', 'signatures', 'keyid', 'sig', 'extra'),
  value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.base64String({ maxLength: 100 }), fc.constantFrom(PAYLOAD_TYPES.root, testKey('personalities').keyid, '')),
  remove: fc.boolean(),
});

// ----------------------------------------------------------------- the code under test

const dir = t.testdir(repository({}));
const verifier = new SignedManifestVerifier(join(dir, 'trust'));
verifier.refresh(NOW);

/** What the store does with one file's bytes before it looks at where the file is. */
function checkFile(bytes: Uint8Array): void {
  const { payload } = verifier.verify(bytes, FILE);
  mapping.check(parseManifest(payload, FILE).parameters, FILE);
}

function checkPayload(payload: Uint8Array): void {
  mapping.check(parseManifest(payload, FILE).parameters, FILE);
}

const v1 = TrustRoot.open(validRoot, 'root.json');

/**
 * The two inputs that are files on the car rather than manifests: the anti-rollback state
 * (which a full or failing flash can leave in any shape) and a signed time reset (which comes
 * from a workshop). Each case starts from the same state on file.
 */
const scratch = mkdtempSync(join(tmpdir(), 'persona-fuzz-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
const trustDir = join(scratch, 'trust');
mkdirSync(trustDir);
writeFileSync(join(trustDir, 'root.json'), validRoot);
const stateFile = join(scratch, 'manifests.json');
const validState = encoder.encode(`${JSON.stringify({ format: 1, latestTime: '2041-06-01T00:00:00Z', root: { version: 1, digest: v1.digest }, personalities: { 'pvnic/highway': { version: 2, digest: 'b'.repeat(64) } } }, null, 2)}\n`);
const validReset = signEnvelope(PAYLOAD_TYPES.timeReset, timeResetPayload({ number: 1, from: '2041-06-01T00:00:00Z', to: '2026-06-01T00:00:00Z', reason: 'RTC fault' }), [testKey('root')]);

function checkState(bytes: Uint8Array): void {
  writeFileSync(stateFile, bytes);
  RollbackState.open(stateFile, () => undefined);
}

function checkReset(bytes: Uint8Array): void {
  writeFileSync(stateFile, validState);
  applyTimeReset(bytes, 'reset.dsse.json', trustDir, RollbackState.open(stateFile));
}
const validRotation = signedRoot({ version: 2, root: role([testKey('root'), testKey('root-2')]) }, [testKey('root'), testKey('root-2')]);

// ----------------------------------------------------------------- the parts

interface Part {
  readonly name: string;
  readonly numRuns: number;
  readonly run: () => void;
}

function part<T>(name: string, numRuns: number, arbitrary: fc.Arbitrary<T>, check: (value: T) => void): Part {
  return { name, numRuns, run: () => fc.assert(fc.property(arbitrary, check), { numRuns }) };
}

const PARTS: readonly Part[] = [
  part('envelope bytes mutated', 45_000, mutations, (m) => outcome(() => checkFile(mutate(validEnvelope, m)))),
  part('envelope fields replaced or removed', 25_000, structural, ({ field, value, remove }) => {
    const envelope = JSON.parse(new TextDecoder().decode(validEnvelope)) as Record<string, unknown> & { signatures: Array<Record<string, unknown>> };
    const target = field === 'keyid' || field === 'sig' ? (envelope.signatures[0] ?? {}) : envelope;
    if (remove) delete target[field];
    else target[field] = value;
    outcome(() => checkFile(encoder.encode(JSON.stringify(envelope))));
  }),
  part('manifests generated', 20_000, documents, (d) => outcome(() => checkPayload(encoder.encode(JSON.stringify(d))))),
  part('manifests mutated', 6_000, mutations, (m) => outcome(() => checkPayload(mutate(validPayload, m)))),
  part('manifests generated, then signed', 2_500, documents, (d) => {
    const signed = signEnvelope(PAYLOAD_TYPES.personality, encoder.encode(JSON.stringify(d)), [testKey('personalities')]);
    outcome(() => checkFile(signed));
  }),
  part('trust roots mutated', 2_000, mutations, (m) => outcome(() => TrustRoot.open(mutate(validRoot, m), 'root.json'))),
  part('rotations mutated', 1_500, mutations, (m) => outcome(() => v1.next(mutate(validRotation, m), '2.root.json'))),
  part('anti-rollback states mutated', 1_500, mutations, (m) => outcome(() => checkState(mutate(validState, m)))),
  part('time resets mutated', 1_500, mutations, (m) => outcome(() => checkReset(mutate(validReset, m)))),
];

void t.test('fuzz: no input makes anything but a documented ManifestError escape', (t) => {
  t.doesNotThrow(() => checkState(validState), 'the state the mutations start from is read');
  t.doesNotThrow(() => checkReset(validReset), 'the time reset the mutations start from is applied');
  const started = performance.now();
  for (const { name, numRuns, run } of PARTS) {
    const before = cases;
    t.doesNotThrow(run, name);
    t.equal(cases - before, numRuns, `${name}: ${numRuns.toLocaleString('en-US')} cases`);
  }
  const seconds = (performance.now() - started) / 1000;
  const codes = [...tally].sort(([, a], [, b]) => b - a).map(([code, n]) => `${code} ${n}`).join(', ');
  t.comment(`fuzz: ${cases.toLocaleString('en-US')} cases in ${seconds.toFixed(1)} s; ${codes}`);
  t.ok(cases >= 100_000, 'at least 100,000 cases');
  t.ok((tally.get('accepted') ?? 0) > 0, 'valid input gets through too');
  t.end();
});
