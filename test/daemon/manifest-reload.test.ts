/**
 * A reload through the daemon (request/reload and SIGHUP take this path): what it changes in
 * force, and what a reload that changes nothing leaves alone: the anti-rollback state file,
 * the health quarantines and the decisions.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { answerProblems } from '../helpers/contract-schemas.js';
import { copyDemoManifests, fileIdentity } from '../helpers/demo-manifests-copy.js';
import { driveIntoQuarantine } from '../helpers/dropping-pvnic.js';
import { demoSigned } from '../namespace/fixtures/demo-signed.js';
import type { Daemon, ManifestSummary } from '../../src/daemon/daemon.js';
import { Arbiter } from '../../src/policy/arbiter.js';

const D = 4; // a forward gear

/** One reload, with how often the policy was asked to decide while it ran; its answer must be what the contract says. */
function reload(t: Test, daemon: Daemon): { answer: ManifestSummary; decisions: number } {
  // The capture calls the method it is given with each arbiter as `this`: it counts and decides as before.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const decide = t.capture(Arbiter.prototype, 'decide', Arbiter.prototype.decide);
  try {
    const answer = daemon.reloadManifests();
    t.strictSame(answerProblems('reload', JSON.stringify({ status: 200, data: answer })), [], 'the answer follows the contract');
    return { answer, decisions: decide.calls.length };
  } finally {
    decide.restore();
  }
}

void t.test('reloads that change nothing write no state, lift no quarantine and make no decision, and each still says it happened', async (t) => {
  const copy = copyDemoManifests(t.testdir({}));
  let before: ReturnType<typeof fileIdentity> | undefined;
  const reloads: Array<ReturnType<typeof reload>> = [];
  const { r } = await driveIntoQuarantine(
    (d) => [
      {
        seconds: 20,
        speedKmh: 110,
        gear: D,
        onStart: () => {
          before = fileIdentity(copy.stateFile);
          for (let i = 0; i < 5; i++) reloads.push(reload(t, d()));
        },
      },
    ],
    copy.overrides,
  );
  t.strictSame(
    reloads.map((x) => x.answer),
    Array.from({ length: 5 }, () => ({ personalities: 5, rejected: [], changed: [] })),
    'each answers with what is in force, and nothing changed',
  );
  t.strictSame(fileIdentity(copy.stateFile), before, 'the state file is untouched: same inode, same time, same bytes');
  t.strictSame(r.published.health.length, 1, 'highway broke its bounds once');
  t.equal(r.switches.filter((s) => s.to === 'highway').length, 1, 'and stays quarantined, at 110 km/h for 20 s more');
  t.strictSame(
    reloads.map((x) => x.decisions),
    [0, 0, 0, 0, 0],
    'the policy was not asked again',
  );
  t.notOk(
    r.published.decisions.some((d) => d.trigger.startsWith('manifests reloaded')),
    'no decision names a reload',
  );
  t.strictSame(
    r.published.manifestEvents.map((e) => e.changed),
    [[], [], [], [], []],
    'event/manifest once per reload, with nothing changed',
  );
  t.equal(r.published.infos.length, 1, 'info is not published again: it says nothing new');
});

void t.test('a reload lifts the quarantine only of a personality with a new manifest, and an older one brought back is refused without touching anything', async (t) => {
  const copy = copyDemoManifests(t.testdir({}));
  const highwayV2 = readFileSync(join(copy.pvnic, 'highway.dsse.json'));
  const identity: Record<string, ReturnType<typeof fileIdentity>> = {};
  const answers: Record<string, ReturnType<typeof reload>> = {};
  const legStart: Record<string, number> = {};
  const { r } = await driveIntoQuarantine(
    (d) => [
      {
        seconds: 10,
        speedKmh: 110,
        gear: D,
        onStart: () => {
          legStart.city = d().timeMs;
          identity.before = fileIdentity(copy.stateFile);
          writeFileSync(join(copy.pvnic, 'city.dsse.json'), demoSigned('city', { version: 2 }));
          answers.city = reload(t, d());
          identity.city = fileIdentity(copy.stateFile);
        },
      },
      { seconds: 1, speedKmh: 0, gear: D },
      {
        seconds: 30,
        speedKmh: 110,
        gear: D,
        onStart: () => {
          legStart.highway = d().timeMs;
          writeFileSync(join(copy.pvnic, 'highway.dsse.json'), demoSigned('highway', { version: 3 }));
          answers.highway = reload(t, d());
        },
      },
      {
        seconds: 10,
        speedKmh: 110,
        gear: D,
        onStart: () => {
          legStart.rollback = d().timeMs;
          writeFileSync(join(copy.pvnic, 'highway.dsse.json'), highwayV2);
          identity.beforeRollback = fileIdentity(copy.stateFile);
          answers.rollback = reload(t, d());
          answers.again = reload(t, d());
        },
      },
    ],
    copy.overrides,
  );
  const toHighway = (from: number, to = Number.POSITIVE_INFINITY): number => r.switches.filter((s) => s.to === 'highway' && s.timeMs >= from && s.timeMs < to).length;

  t.match(answers.city, { answer: { changed: [{ driver: 'pvnic', name: 'city', from: 1, to: 2 }] }, decisions: 1 }, 'city v2: changed, and the policy decides again');
  t.notSame(identity.city!.ino, identity.before!.ino, 'the state file was written');
  t.match(JSON.parse(identity.city!.text), { personalities: { 'pvnic/city': { version: 2 }, 'pvnic/highway': { version: 2 } } });
  t.equal(toHighway(legStart.city!, legStart.highway), 0, "city's new manifest does not end highway's quarantine");

  t.match(answers.highway, { answer: { changed: [{ driver: 'pvnic', name: 'highway', from: 2, to: 3 }] }, decisions: 1 }, 'highway v3: changed');
  t.equal(toHighway(legStart.highway!, legStart.rollback), 1, 'highway gets another chance');
  t.equal(r.published.health.length, 2, 'and breaks its bounds again: quarantined again');
  t.match(JSON.parse(readFileSync(copy.stateFile, 'utf8')), { personalities: { 'pvnic/highway': { version: 3 } } });

  const refused = { personalities: 5, changed: [], rejected: [{ file: join(copy.pvnic, 'highway.dsse.json'), code: 'E_ROLLBACK' }] };
  t.match(answers.rollback, { answer: refused, decisions: 0 }, 'highway v2 again is a rollback: refused, nothing changed, nothing decided');
  t.match(answers.again, { answer: refused, decisions: 0 }, 'and the same on the next reload');
  t.strictSame(fileIdentity(copy.stateFile), identity.beforeRollback, 'neither reload wrote the state');
  t.equal(toHighway(legStart.rollback!), 0, 'highway stays quarantined');
  t.equal(r.published.rejected.filter((e) => e.code === 'E_ROLLBACK').length, 1, 'event/rejected once: the second reload refused nothing new');
});

void t.test('an added and a removed personality count as changed; neither ends another quarantine', async (t) => {
  const copy = copyDemoManifests(t.testdir({}));
  const tunnel = join(copy.pvnic, 'tunnel.dsse.json');
  const answers: Array<ReturnType<typeof reload>> = [];
  const identity: Array<ReturnType<typeof fileIdentity>> = [];
  const { r } = await driveIntoQuarantine(
    (d) => [
      {
        seconds: 10,
        speedKmh: 110,
        gear: D,
        onStart: () => {
          identity.push(fileIdentity(copy.stateFile));
          writeFileSync(tunnel, demoSigned('city', { name: 'tunnel' }));
          answers.push(reload(t, d()));
          identity.push(fileIdentity(copy.stateFile));
        },
      },
      {
        seconds: 10,
        speedKmh: 110,
        gear: D,
        onStart: () => {
          rmSync(tunnel);
          answers.push(reload(t, d()));
          identity.push(fileIdentity(copy.stateFile));
        },
      },
    ],
    copy.overrides,
  );
  const [added, removed] = answers;
  t.match(added, { answer: { personalities: 6, changed: [{ driver: 'pvnic', name: 'tunnel', from: null, to: 1 }] }, decisions: 1 }, 'tunnel added');
  t.match(removed, { answer: { personalities: 5, changed: [{ driver: 'pvnic', name: 'tunnel', from: 1, to: null }] }, decisions: 1 }, 'tunnel removed');
  t.notSame(identity[1]!.ino, identity[0]!.ino, 'the new personality was written to the state');
  t.strictSame(identity[2], identity[1], 'its removal wrote nothing');
  t.match(JSON.parse(identity[2]!.text), { personalities: { 'pvnic/tunnel': { version: 1 } } }, 'its version stays on file against a rollback');
  t.equal(r.switches.filter((s) => s.to === 'highway').length, 1, 'highway stays quarantined');
  t.strictSame(r.published.manifestEvents.map((e) => e.changed.map((c) => `${c.name} ${c.from} → ${c.to}`)), [['tunnel null → 1'], ['tunnel 1 → null']]);
});
