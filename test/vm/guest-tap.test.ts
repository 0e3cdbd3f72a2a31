/**
 * GuestTap, the TAP runner of the VM probes, on the host: the conformance suite through it
 * against the simulated backend counts what tap counts and passes; a backend that breaks a
 * promise makes it print `not ok` and exit non-zero, with what was found.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/common/package-root.js';
import { GuestTap } from './guest-tap.js';

const dist = join(packageRoot(), 'dist');

/**
 * Runs the conformance suite against SimulatedBackend through GuestTap in a process of its own,
 * from the compiled modules (a build first, as npm test does); `breakIt` is code run on the
 * backend first.
 */
function runProbe(dir: string, breakIt = ''): { status: number | null; stdout: string } {
  const url = (path: string): string => pathToFileURL(join(dist, path)).href;
  const probe = join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    `import { SimulatedBackend } from '${url('src/backend/simulated-backend.js')}';
import { backendConformance } from '${url('test/backend/backend-conformance.js')}';
import { GuestTap } from '${url('test/vm/guest-tap.js')}';
import { readFileSync } from 'node:fs';
const pvnic = JSON.parse(readFileSync(new URL('${url('src/backend/simulated-pvnic.json')}'), 'utf8'));
await GuestTap.main((t) => backendConformance(t, () => {
  const backend = new SimulatedBackend([pvnic]);
  ${breakIt}
  return Promise.resolve({
    backend,
    failNthWrite: (nth) => Promise.resolve(backend.failNthWrite(nth)),
    driftStep: (resource, ns) => Promise.resolve(backend.drift('pvnic', resource, { interrupt_coalescence_time: ns })),
    close: () => Promise.resolve(),
  });
}));
`,
  );
  const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

void t.test('the conformance suite through GuestTap passes on the simulated backend, every assertion counted', (t) => {
  const r = runProbe(t.testdir());
  t.equal(r.status, 0, r.stdout);
  t.match(r.stdout, /^TAP version 14\n/);
  t.notMatch(r.stdout, /^\s*not ok /m);
  const summary = /^# \{ total: (\d+), pass: (\d+) \}$/m.exec(r.stdout);
  t.ok(summary, 'the summary line tap prints');
  const leaves = r.stdout.split('\n').filter((l) => /^ {4}ok \d+ - /.test(l));
  t.equal(Number(summary![1]), leaves.length, 'the summary counts the assertions of the subtests');
  t.equal(summary![1], summary![2]);
  t.equal(r.stdout.split('\n').filter((l) => /^# Subtest: /.test(l)).length, 10, 'ten subtests');
  t.match(r.stdout, /^ok 10 - a change behind its back is reported as drift and read # time=[\d.]+ms$/m);
  t.end();
});

void t.test('a backend that breaks a promise: not ok, what was found, and a failing exit code', (t) => {
  // Generations that never move: "one generation per apply" and others must fail.
  const r = runProbe(t.testdir(), `const apply = backend.apply.bind(backend);
  backend.apply = async (...args) => ({ ...(await apply(...args)), generation: 7 });`);
  t.equal(r.status, 1, 'exit code 1');
  t.match(r.stdout, /^ {4}not ok \d+ - one generation per apply\n {6}# found: 7\n {6}# {2}wanted: \d+$/m);
  t.match(r.stdout, /^not ok 3 - applies every value to every resource, reports each change and reads it back # time=/m);
  const summary = /^# \{ total: (\d+), pass: (\d+) \}$/m.exec(r.stdout);
  t.ok(summary && Number(summary[2]) < Number(summary[1]), `fewer passed than ran: ${summary?.[0]}`);
  t.end();
});

void t.test('assertions: same ignores prototypes but not values; throws and rejects match properties', async (t) => {
  const g = new GuestTap('', () => undefined);
  const results: unknown[] = [];
  g.test('cases', async (s) => {
    const proto = Object.assign(Object.create(null) as object, { a: [1, { b: 2 }] });
    results.push(
      s.same(proto, { a: [1, { b: 2 }] }),
      s.same({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }),
      s.same([1, 2], { 0: 1, 1: 2 }),
      s.same({ a: 1 }, { a: 1, b: undefined }),
      s.same(new Map([[1, 2]]), new Map()),
      s.same(new Date(1), new Date(2)),
      s.same(new Set(['a']), new Set(['a'])),
      s.equal(1, 1),
      s.equal('1', 1),
      s.throws(() => {
        throw Object.assign(new Error('x'), { code: 'E_RANGE', path: 'p' });
      }, { code: 'E_RANGE' }),
      s.throws(() => undefined, { code: 'E_RANGE' }),
      await s.rejects(Promise.reject(Object.assign(new Error('x'), { code: 'E_DRIVER' })), { code: 'E_RANGE' }),
      await s.rejects(Promise.resolve(1)),
      await s.rejects(Promise.reject(new Error('any'))),
      s.doesNotThrow(() => {
        throw new Error('boom');
      }),
    );
  });
  const summary = await g.run();
  t.same(results, [true, false, false, false, false, false, true, true, false, true, false, false, false, true, false]);
  t.same(summary, { total: 15, pass: 5 });
});

void t.test('an assertion after its test ended fails the run, and the output so far is written as it comes', async (t) => {
  const lines: string[] = [];
  const g = new GuestTap('', (line) => lines.push(line));
  let late: GuestTap | undefined;
  g.test('ends early', async (s) => {
    late = s as GuestTap;
    s.ok(true, 'in time');
  });
  g.test('runs next', async (s) => {
    t.same(lines, ['# Subtest: ends early', '    ok 1 - in time', '    1..1', 'ok 1 - ends early # time=' + lines[3]!.split('# time=')[1], '# Subtest: runs next'], 'the first subtest is written before the second runs');
    late!.ok(true, 'too late');
    s.ok(true);
  });
  const summary = await g.run();
  t.same(summary, { total: 3, pass: 2 }, 'the late assertion counts as a failure');
  t.ok(lines.includes('# an assertion after its test ended: ends early > too late'));
});
