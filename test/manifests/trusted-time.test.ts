/**
 * Regression tests for a trusted time a real ECU can live with: clocks that boot in 1970, jump
 * years ahead and come back, and power cuts while the state is written. Each test drives a
 * simulated car (its wall clock and its monotonic clock apart) and prints what happened at each
 * step.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t, { type Test } from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { writeDurably } from '../../src/common/durable-file.js';
import type { Output } from '../../src/cli/output.js';
import { trustCommand } from '../../src/cli/trust-command.js';
import { PAYLOAD_TYPES, signEnvelope } from '../../src/manifests/dsse-envelope.js';
import { ManifestError } from '../../src/manifests/manifest-error.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { RollbackState } from '../../src/manifests/rollback-state.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { applyTimeReset, timeResetPayload, type TimeResetDocument } from '../../src/manifests/time-reset.js';
import { formatTimestamp } from '../../src/manifests/timestamp.js';
import { CLOCK_LEAD_BOUND_MS, EARLIEST_TIME_MS } from '../../src/manifests/trusted-time.js';
import { recordingWriter } from './fixtures/recording-writer.js';
import { DAY, NOW, repository, signedManifest, signedRoot, testKey, type FixtureTree } from './fixtures/signing.js';

const HOUR = 60 * 60 * 1000;
/** Where a clock 15 years ahead reads. */
const YEARS_AHEAD = Date.parse('2041-06-01T00:00:00Z');
const EPOCH = 0;

/**
 * A car: its manifest folder, its state file, and two clocks. The monotonic clock is real
 * time passing (pass()); the wall clock runs with it unless set wrong (setClock()).
 */
class Car {
  readonly lines: string[] = [];
  readonly writes: string[];
  private readonly monotonic = new SimulatedClock(0, NOW);
  private offset = 0;
  private readonly write: typeof writeDurably;
  state!: RollbackState;
  store: ManifestStore | undefined;

  constructor(readonly dir: string) {
    const { write, writes } = recordingWriter();
    this.write = write;
    this.writes = writes;
  }

  get stateFile(): string {
    return join(this.dir, 'state', 'manifests.json');
  }

  /** What the wall clock reads. */
  clock(): number {
    return this.monotonic.wallNow() + this.offset;
  }

  setClock(ms: number): void {
    this.offset = ms - this.monotonic.wallNow();
  }

  rightClock(): void {
    this.offset = 0;
  }

  /** Real time passes; the wall clock keeps its error. */
  pass(ms: number): void {
    this.monotonic.advance(ms);
  }

  /** A start of the daemon: the state from disk, a first load. */
  start(step: string): string {
    this.state = RollbackState.open(this.stateFile, this.write, () => this.monotonic.now());
    const verifier = new SignedManifestVerifier(join(this.dir, 'trust'), this.state);
    return this.attempt(step, () => {
      this.store = undefined;
      this.store = ManifestStore.load(this.dir, verifier, undefined, { rollback: this.state, now: () => this.clock() });
    });
  }

  /** A reload in the same run (SIGHUP, request/reload). */
  reload(step: string): string {
    return this.attempt(step, () => {
      if (this.store === undefined) throw new Error('reload without a store in force');
      this.store.reload();
    });
  }

  /** Records a step for the printout: the clock, what happened, the trusted time, the time on file and whether it was written. */
  note(step: string, outcome: string): string {
    const onFile = this.state.timeOnFile;
    this.lines.push(
      `${step.padEnd(44)} clock ${formatTimestamp(this.clock())} → ${outcome}; trusted ${formatTimestamp(this.state.trusted)}, ` +
        `on file ${onFile === undefined ? '-' : formatTimestamp(onFile)} (${this.writes.length} writes)`,
    );
    return outcome;
  }

  private attempt(step: string, load: () => void): string {
    try {
      load();
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      const kept = this.store === undefined ? '' : `, ${this.inForce()} stay`;
      return this.note(step, `FAILED ${error.code} ${error.text}${kept}`);
    }
    return this.note(step, `loaded ${this.inForce()}${this.refused()}`);
  }

  private inForce(): string {
    return (this.store?.list() ?? []).map((p) => `${p.name} v${p.version}`).join(', ') || 'nothing';
  }

  private refused(): string {
    const rejected = this.store?.rejected ?? [];
    // A refused file and the fallback on the version before it can be refused for the same reason: listed once.
    const reasons = new Set(rejected.map((e) => `${basename(e.file, '.dsse.json')} ${e.code} (${e.text})`));
    return reasons.size === 0 ? '' : `; refused ${[...reasons].join(', ')}`;
  }
}

function car(t: Test, tree: FixtureTree, root?: Uint8Array): Car {
  return new Car(t.testdir(repository(tree, root)));
}

function print(t: Test, title: string, lines: readonly string[]): void {
  t.comment([title, ...lines.map((line) => `  ${line}`)].join('\n'));
}

/** What the file system shows of a write: a write renames a new file over the old one. */
function fileIdentity(file: string): { ino: bigint; mtimeNs: bigint; text: string } {
  const { ino, mtimeNs } = statSync(file, { bigint: true });
  return { ino, mtimeNs, text: readFileSync(file, 'utf8') };
}

/** A time reset signed by the test root key unless told otherwise. */
function signedReset(document: Partial<TimeResetDocument>, signers = [testKey('root')]): Uint8Array {
  const payload = timeResetPayload({ number: 1, from: formatTimestamp(YEARS_AHEAD), to: formatTimestamp(NOW), reason: 'RTC fault, workshop order 4711', ...document });
  return signEnvelope(PAYLOAD_TYPES.timeReset, payload, signers);
}

void t.test('regression: clock 15 years ahead, then right again: loads again at once, rollback protection kept', (t) => {
  const vehicle = car(t, { pvnic: { 'a.dsse.json': signedManifest('a', { version: 2 }), 'b.dsse.json': signedManifest('b') } });
  t.equal(vehicle.start('start, clock right'), 'loaded a v2, b v1');
  vehicle.pass(HOUR);
  vehicle.setClock(YEARS_AHEAD);
  t.equal(
    vehicle.start('restart, clock 15 years ahead'),
    'FAILED E_EXPIRED trust root v1 expired at 2030-01-01T00:00:00Z (clock 2041-06-01T00:00:00Z, ahead of the trusted time 2026-06-08T00:00:00Z)',
    'refused while the clock says the trust root has expired',
  );
  t.equal(vehicle.writes.length, 1, 'the failed load wrote nothing');
  t.equal(vehicle.state.timeOnFile, NOW, 'what the clock carried the trusted time to in memory, one bound, is not on file');
  vehicle.pass(HOUR);
  vehicle.rightClock();
  t.equal(vehicle.start('restart, clock right again'), 'loaded a v2, b v1');
  writeFileSync(join(vehicle.dir, 'pvnic', 'a.dsse.json'), signedManifest('a', { version: 1 }));
  t.match(vehicle.start('restart, an older a is offered'), /^loaded b v1; refused a E_ROLLBACK \(1 is older than version 2, trusted before\)/, 'rollback protection kept');
  print(t, 'clock 15 years ahead at a start (trust root expires 2030):', vehicle.lines);
  t.end();
});

void t.test('regression: clock 15 years ahead with the trust root still valid: the trusted time moves one bound, a right clock loads again', (t) => {
  const vehicle = car(
    t,
    {
      pvnic: {
        'a.dsse.json': signedManifest('a'),
        'soon.dsse.json': signedManifest('soon', { expires: '2026-06-04T00:00:00Z' }),
        'later.dsse.json': signedManifest('later', { expires: '2026-09-01T00:00:00Z' }),
      },
    },
    signedRoot({ expires: '2045-01-01T00:00:00Z' }),
  );
  t.equal(vehicle.start('start, clock right'), 'loaded a v1, later v1, soon v1');
  vehicle.setClock(YEARS_AHEAD);
  t.match(vehicle.start('restart, clock 15 years ahead'), /^loaded a v1; refused later E_EXPIRED \(expired at 2026-09-01T00:00:00Z \(clock 2041-06-01T00:00:00Z, ahead of the trusted time 2026-06-08T00:00:00Z\)\), soon E_EXPIRED/);
  t.equal(vehicle.state.trusted, NOW + CLOCK_LEAD_BOUND_MS, 'the clock carried the trusted time one bound, not 15 years');
  t.equal(vehicle.state.timeOnFile, NOW + CLOCK_LEAD_BOUND_MS);
  vehicle.pass(HOUR);
  vehicle.rightClock();
  t.equal(
    vehicle.start('restart, clock right again'),
    'loaded a v1, later v1; refused soon E_EXPIRED (expired at 2026-06-04T00:00:00Z (trusted time 2026-06-08T00:00:00Z))',
    'everything is back but what expires within the bound',
  );
  vehicle.pass(8 * DAY);
  t.equal(vehicle.start('restart 8 days on, past the bound'), 'loaded a v1, later v1; refused soon E_EXPIRED (expired at 2026-06-04T00:00:00Z (trusted time 2026-06-09T01:00:00Z))');
  t.equal(vehicle.state.trusted, vehicle.clock(), 'the trusted time follows the clock again');
  print(t, 'clock 15 years ahead at a start (trust root expires 2045):', vehicle.lines);
  t.end();
});

void t.test('regression: clock at 1970 on boot: loads by the trusted time and never lowers it', (t) => {
  const tree = { pvnic: { 'a.dsse.json': signedManifest('a'), 'old.dsse.json': signedManifest('old', { expires: '2026-05-31T00:00:00Z' }) } };
  const vehicle = car(t, tree);
  const expiredOld = /; refused old E_EXPIRED \(expired at 2026-05-31T00:00:00Z \(trusted time 2026-06-01T0.:00:00Z\)\)$/;
  t.match(vehicle.start('start, clock right'), expiredOld);
  vehicle.pass(HOUR);
  vehicle.setClock(EPOCH);
  t.match(vehicle.start('restart, RTC battery flat: 1970'), expiredOld, 'loads; what expired before the trusted time stays expired');
  t.equal(vehicle.state.trusted, NOW, 'the trusted time is not lowered');
  t.equal(vehicle.writes.length, 1, 'nothing new: nothing written');
  vehicle.pass(HOUR);
  vehicle.rightClock();
  t.match(vehicle.reload('GNSS fix: clock right'), expiredOld);
  t.equal(vehicle.state.trusted, NOW + 2 * HOUR);
  print(t, 'clock at 1970 on a boot:', vehicle.lines);
  t.end();
});

void t.test('regression: clock at 1970 on the very first start: judged at the earliest believable time until the clock is right', (t) => {
  const tree = { pvnic: { 'a.dsse.json': signedManifest('a'), 'old.dsse.json': signedManifest('old', { expires: '2026-05-31T00:00:00Z' }) } };
  const fresh = car(t, tree);
  fresh.setClock(EPOCH);
  t.equal(
    fresh.start('first start ever, clock at 1970'),
    'loaded a v1, old v1',
    'nothing is proven yet: judged at the earliest believable time, before which nothing here expired',
  );
  t.equal(fresh.state.trusted, EARLIEST_TIME_MS);
  fresh.rightClock();
  t.match(fresh.reload('GNSS fix: clock right'), /^loaded a v1; refused old E_EXPIRED/);
  t.equal(fresh.state.trusted, NOW, 'the first believable reading of a first start is believed');
  print(t, 'clock at 1970 on the very first start:', fresh.lines);
  t.end();
});

void t.test('regression: clock stepping back and forth during a drive: no lockout, freeze attack still refused', (t) => {
  const vehicle = car(t, { pvnic: { 'a.dsse.json': signedManifest('a'), 'f.dsse.json': signedManifest('f', { expires: '2026-06-01T02:00:00Z' }) } });
  t.equal(vehicle.start('start, clock right'), 'loaded a v1, f v1');
  vehicle.pass(HOUR);
  vehicle.setClock(YEARS_AHEAD);
  t.match(vehicle.reload('clock jumps 15 years ahead'), /^FAILED E_EXPIRED trust root v1 expired .*, a v1, f v1 stay$/);
  vehicle.setClock(NOW - 30 * DAY);
  t.equal(vehicle.reload('clock jumps a month back'), 'loaded a v1, f v1');
  vehicle.rightClock();
  t.equal(vehicle.reload('clock right'), 'loaded a v1, f v1');
  t.equal(vehicle.state.trusted, NOW + HOUR, 'the jumps moved the trusted time not at all');
  vehicle.pass(2 * HOUR);
  t.equal(vehicle.reload('two hours on: f has expired'), 'loaded a v1; refused f E_EXPIRED (expired at 2026-06-01T02:00:00Z (trusted time 2026-06-01T03:00:00Z))');
  vehicle.setClock(NOW);
  t.equal(vehicle.reload('clock set back before f expired'), 'loaded a v1; refused f E_EXPIRED (expired at 2026-06-01T02:00:00Z (trusted time 2026-06-01T03:00:00Z))', 'freeze attack refused');
  t.equal(vehicle.start('restart, clock still set back'), 'loaded a v1; refused f E_EXPIRED (expired at 2026-06-01T02:00:00Z (trusted time 2026-06-01T03:00:00Z))', 'and after a restart');
  vehicle.setClock(YEARS_AHEAD);
  t.match(vehicle.reload('clock jumps 15 years ahead again'), /^FAILED E_EXPIRED/);
  vehicle.rightClock();
  t.match(vehicle.reload('clock right'), /^loaded a v1; refused f E_EXPIRED/, 'no lockout');
  t.equal(vehicle.state.trusted, NOW + 3 * HOUR + CLOCK_LEAD_BOUND_MS, 'a start whose clock read behind kept its bound: this jump used it, and no more');
  t.equal(vehicle.writes.length, 3, 'written at the first start, for the time that expired f, and for the bound taken');
  print(t, 'clock stepping back and forth during a drive (f expires 02:00):', vehicle.lines);
  t.end();
});

void t.test('regression: a failed load writes nothing', (t) => {
  const vehicle = car(t, { pvnic: { 'a.dsse.json': signedManifest('a') } });
  vehicle.start('start, clock right');
  const before = fileIdentity(vehicle.stateFile);
  // A new version and a clock ahead: both would be written if the load worked.
  writeFileSync(join(vehicle.dir, 'pvnic', 'a.dsse.json'), signedManifest('a', { version: 2 }));
  vehicle.pass(2 * DAY);
  vehicle.setClock(YEARS_AHEAD);
  t.match(vehicle.reload('a v2 offered, clock 15 years ahead'), /^FAILED E_EXPIRED/);
  vehicle.rightClock();
  writeFileSync(join(vehicle.dir, 'trust', 'root.json'), '{');
  t.match(vehicle.reload('a v2 offered, trust root unreadable'), /^FAILED E_JSON/);
  t.match(vehicle.start('restart, trust root unreadable'), /^FAILED E_JSON/);
  t.equal(vehicle.writes.length, 1, 'only the first load wrote');
  t.strictSame(fileIdentity(vehicle.stateFile), before, 'the state file is untouched');
  t.end();
});

void t.test('regression: power cut while saving: the state is the old or the new, never neither', (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'state.json');
  const A = 'a'.repeat(64);
  const B = 'b'.repeat(64);
  const first = RollbackState.open(file, undefined, () => 0);
  first.trustedTime(NOW);
  first.admit('pvnic/a', { version: 1, digest: A }, 'a');
  first.save();
  const old = readFileSync(file, 'utf8');

  // The power goes after the temporary file was written, before the rename.
  const cutBeforeRename: typeof writeDurably = (target, bytes) => {
    writeFileSync(`${target}.4242.tmp`, String(bytes).slice(0, 40));
    throw new Error('power cut');
  };
  const second = RollbackState.open(file, cutBeforeRename, () => 0);
  second.admit('pvnic/a', { version: 2, digest: B }, 'a');
  t.throws(() => second.save(), { code: 'E_STATE', file, text: 'cannot be written: power cut' });
  t.equal(readFileSync(file, 'utf8'), old, 'the old state is whole');
  t.strictSame(readdirSync(dir).sort(), ['state.json', 'state.json.4242.tmp'], 'a half-written temporary file is left over');
  const afterCut = RollbackState.open(file, undefined, () => 0);
  t.doesNotThrow(() => afterCut.check('pvnic/a', { version: 1, digest: A }, 'a'), 'the next start reads the old state; the leftover is not read');
  t.throws(() => afterCut.check('pvnic/a', { version: 1, digest: B }, 'a'), { code: 'E_SUBSTITUTION' }, 'with its protection');

  // The power goes after the rename, before the folder was flushed.
  const cutAfterRename: typeof writeDurably = (target, bytes, modes) => {
    writeDurably(target, bytes, modes);
    throw new Error('power cut');
  };
  const third = RollbackState.open(file, cutAfterRename, () => 0);
  third.admit('pvnic/a', { version: 2, digest: B }, 'a');
  t.throws(() => third.save(), { code: 'E_STATE' });
  const afterRename = RollbackState.open(file, undefined, () => 0);
  t.throws(() => afterRename.check('pvnic/a', { version: 1, digest: A }, 'a'), { code: 'E_ROLLBACK' }, 'the next start reads the new state whole');

  // A temporary file of the same name as this process's is taken over, not in the way.
  writeFileSync(`${file}.${process.pid}.tmp`, '{"half');
  afterRename.admit('pvnic/b', { version: 1, digest: A }, 'b');
  afterRename.save();
  t.match(JSON.parse(readFileSync(file, 'utf8')), { personalities: { 'pvnic/a': { version: 2 }, 'pvnic/b': { version: 1 } } });
  t.strictSame(readdirSync(dir).sort(), ['state.json', 'state.json.4242.tmp']);
  t.end();
});

void t.test('regression: a time reset signed by the root keys sets the trusted time back and keeps every version record', (t) => {
  const vehicle = car(
    t,
    {
      pvnic: { 'a.dsse.json': signedManifest('a', { version: 2 }), 'later.dsse.json': signedManifest('later', { expires: '2026-09-01T00:00:00Z' }) },
      keys: {
        'root.private.pem': testKey('root').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        'personalities.private.pem': testKey('personalities').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    },
    signedRoot({ expires: '2045-01-01T00:00:00Z' }),
  );
  // A first start has nothing to hold a clock against: 15 years ahead, it is believed.
  vehicle.setClock(YEARS_AHEAD);
  t.match(vehicle.start('first start ever, clock 15 years ahead'), /^loaded a v2; refused later E_EXPIRED/);
  vehicle.rightClock();
  t.match(vehicle.start('restart, clock right'), /^loaded a v2; refused later E_EXPIRED \(expired at 2026-09-01T00:00:00Z \(trusted time 2041-06-01T00:00:00Z\)\)$/, 'stuck: only a reset helps');

  const keys = join(vehicle.dir, 'keys');
  const printed: string[] = [];
  const out: Output = { print: (line) => printed.push(line), log: (line) => printed.push(line) };
  const stateFile = vehicle.stateFile;
  const trust = join(vehicle.dir, 'trust');
  t.equal(trustCommand(['time', '--state', stateFile], out), 0);
  const reset = join(keys, 'reset.dsse.json');
  const sign = ['reset-time', '--number', '1', '--from', '2041-06-01T00:00:00Z', '--to', '2026-06-01T00:00:00Z', '--reason', 'RTC fault, workshop order 4711', '--out', reset];
  t.equal(trustCommand([...sign, '--sign', join(keys, 'root.private.pem')], out), 0);
  const byPersonalities = join(keys, 'by-personalities.dsse.json');
  t.equal(trustCommand([...sign.slice(0, -1), byPersonalities, '--sign', join(keys, 'personalities.private.pem')], out), 0);
  t.equal(trustCommand(['apply-reset', '--trust', trust, '--state', stateFile, byPersonalities], out), 1, 'the personalities key cannot reset time');
  t.equal(trustCommand(['apply-reset', '--trust', trust, '--state', stateFile, reset], out), 0);
  t.equal(trustCommand(['apply-reset', '--trust', trust, '--state', stateFile, reset], out), 1, 'a reset is applied once');
  t.strictSame(printed, [
    `${stateFile}: trusted time 2041-06-01T00:00:00Z, next time reset number 1`,
    `${reset}: time reset 1, 2041-06-01T00:00:00Z → 2026-06-01T00:00:00Z`,
    `${byPersonalities}: time reset 1, 2041-06-01T00:00:00Z → 2026-06-01T00:00:00Z`,
    `${byPersonalities}: /signatures: has no valid signature by a key of the root role of trust root v1 [E_SIGNATURE]`,
    `${stateFile}: trusted time 2041-06-01T00:00:00Z → 2026-06-01T00:00:00Z (time reset 1, signed by root of trust root v1); every version record kept`,
    `${reset}: /number: 1 is not after time reset 1, applied before [E_ROLLBACK]`,
  ]);
  t.match(JSON.parse(readFileSync(stateFile, 'utf8')), { latestTime: '2026-06-01T00:00:00Z', timeReset: { version: 1 }, personalities: { 'pvnic/a': { version: 2 } }, root: { version: 1 } });
  t.equal(vehicle.start('restart after the time reset'), 'loaded a v2, later v1');
  writeFileSync(join(vehicle.dir, 'pvnic', 'a.dsse.json'), signedManifest('a', { version: 1 }));
  t.match(vehicle.start('restart, an older a is offered'), /^loaded later v1; refused a E_ROLLBACK \(1 is older than version 2, trusted before\)/, 'rollback protection kept');
  print(t, 'a clock 15 years ahead on the very first start, and the signed time reset:', vehicle.lines);
  t.end();
});

void t.test('a time reset applies only to the state it was signed for', (t) => {
  const vehicle = car(t, { pvnic: { 'a.dsse.json': signedManifest('a') } });
  vehicle.start('start, clock right');
  const trust = join(vehicle.dir, 'trust');
  const open = (): RollbackState => RollbackState.open(vehicle.stateFile);
  t.throws(() => applyTimeReset(signedReset({}), 'r', trust, open()), { code: 'E_TARGET', path: '/from', text: 'is 2041-06-01T00:00:00Z, but the time on file is 2026-06-01T00:00:00Z: the reset was signed for another state' });
  t.throws(() => applyTimeReset(signedReset({}), 'r', trust, RollbackState.open(join(vehicle.dir, 'none.json'))), { code: 'E_TARGET', text: /does not exist: the reset was signed for another state$/ });
  t.throws(() => applyTimeReset(signedReset({}, [testKey('stranger')]), 'r', trust, open()), { code: 'E_SIGNATURE' });
  t.throws(() => applyTimeReset(signEnvelope(PAYLOAD_TYPES.root, timeResetPayload({ number: 1, from: '2026-06-01T00:00:00Z', to: '2026-05-01T00:00:00Z', reason: 'x' }), [testKey('root')]), 'r', trust, open()), { code: 'E_PAYLOAD_TYPE' });
  t.throws(() => applyTimeReset(signedReset({ from: '2026-06-01T00:00:00Z', to: '2026-02-30T00:00:00Z' }), 'r', trust, open()), { code: 'E_SCHEMA', path: '/to' });
  const applied = applyTimeReset(signedReset({ number: 3, from: '2026-06-01T00:00:00Z', to: '2026-05-01T00:00:00Z' }), 'r', trust, open());
  t.match(applied, { number: 3, rootVersion: 1, signers: [{ name: 'root' }] });
  t.throws(() => applyTimeReset(signedReset({ number: 2, from: '2026-05-01T00:00:00Z' }), 'r', trust, open()), { code: 'E_ROLLBACK', text: '2 is not after time reset 3, applied before' });
  t.equal(open().trusted, Date.parse('2026-05-01T00:00:00Z'));
  t.end();
});
