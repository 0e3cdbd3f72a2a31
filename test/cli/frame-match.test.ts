import t from 'tap';
import { join } from 'node:path';
import { unmatchedFramesWarning } from '../../src/cli/frame-match.js';
import { packageRoot } from '../../src/common/package-root.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { spawnPersona } from '../helpers/persona-process.js';

const root = packageRoot();
const demo = loadVehicle(join(root, 'vehicles/demo'));
const HINT = 'is --vehicle right?';

void t.test('a log of another car: how many frames matched which DBC, and what to check', async (t) => {
  t.equal(unmatchedFramesWarning(demo, { decoded: 0, ignored: 53800, short: 0, unusable: 0 }, HINT, root), '0 of 53,800 frames matched vehicles/demo/demo.dbc (the 4 messages its signals.json maps); is --vehicle right?');
  t.equal(
    unmatchedFramesWarning(demo, { decoded: 0, ignored: 53000, short: 800, unusable: 800 }, HINT, root),
    '0 of 53,800 frames matched vehicles/demo/demo.dbc (the 4 messages its signals.json maps), and 800 had the id of one but were too short to carry any of its mapped signals; is --vehicle right?',
  );
  t.match(unmatchedFramesWarning(demo, { decoded: 0, ignored: 10, short: 0, unusable: 0 }, HINT, '/elsewhere'), `0 of 10 frames matched ${join(root, 'vehicles/demo/demo.dbc')} `, 'outside the working folder, the full path');
});

void t.test('almost nothing is below one frame in a thousand', async (t) => {
  t.match(unmatchedFramesWarning(demo, { decoded: 53, ignored: 53747, short: 0, unusable: 0 }, HINT), /^53 of 53,800 frames matched /);
  t.equal(unmatchedFramesWarning(demo, { decoded: 54, ignored: 53746, short: 0, unusable: 0 }, HINT), undefined);
  t.equal(unmatchedFramesWarning(demo, { decoded: 29600, ignored: 0, short: 0, unusable: 0 }, HINT), undefined, 'the demo drive');
});

void t.test('no frame at all is said so', async (t) => {
  t.equal(unmatchedFramesWarning(demo, { decoded: 0, ignored: 0, short: 0, unusable: 0 }, HINT, root), 'no CAN frame came in to match against vehicles/demo/demo.dbc (the 4 messages its signals.json maps); is --vehicle right?');
});

/** A log of another car: 1,200 frames at 100 Hz of ids the demo DBC has not, and 3 of its own id too short. */
function foreignLog(): string {
  const lines = [];
  for (let i = 0; i < 1200; i++) lines.push(`(${(1767258000 + i / 100).toFixed(6)}) can0 ${(0x100 + (i % 3)).toString(16).toUpperCase()}#0011223344556677`);
  for (let i = 0; i < 3; i++) lines.push(`(${(1767258012 + i / 100).toFixed(6)}) can0 1A0#00`);
  return lines.join('\n') + '\n';
}
const WARNING = '0 of 1,203 frames matched';
const WHAT = `${join(root, 'vehicles/demo/demo.dbc')} (the 4 messages its signals.json maps), and 3 had the id of one but were too short to carry any of its mapped signals`;

void t.test('persona simulate says when the log matches nothing of the vehicle, in --json mode too', async (t) => {
  const text = spawnPersona(t, ['simulate', '--can', 'replay:foreign.log'], { 'foreign.log': foreignLog() });
  t.same(await text.exited, { code: 0, signal: null });
  t.equal(text.stderr.filter(Boolean).at(-1), `persona simulate: ${WARNING} ${WHAT}; without --vehicle it is the configuration's vehicle: is that the log's car?`);
  const json = spawnPersona(t, ['simulate', '--can', 'replay:foreign.log', '--vehicle', 'demo', '--json'], { 'foreign.log': foreignLog() });
  t.same(await json.exited, { code: 0, signal: null });
  t.equal(json.stderr.filter(Boolean).at(-1), `persona simulate: ${WARNING} ${WHAT}; is --vehicle right?`, 'on stderr');
  t.ok(json.stdout.filter(Boolean).every((l) => typeof JSON.parse(l) === 'object'), 'stdout stays JSON lines');
  const demo = spawnPersona(t, ['simulate', '--can', `replay:${join(root, 'vehicles/demo/drive.log')}`, '--json']);
  t.same(await demo.exited, { code: 0, signal: null });
  t.notMatch(demo.stderr.join('\n'), 'frames matched', 'a matching log, no warning');
});

void t.test('persona signals says when the log matches nothing of the vehicle', async (t) => {
  const p = spawnPersona(t, ['signals', '--vehicle', 'demo', '--can', 'replay:foreign.log'], { 'foreign.log': foreignLog() });
  t.same(await p.exited, { code: 0, signal: null });
  t.equal(p.stderr.filter(Boolean).at(-1), `persona signals: ${WARNING} ${WHAT}; is --vehicle right?`);
});

void t.test('persona run says so at the end of a replay', async (t) => {
  const p = spawnPersona(t, ['run', '--can', 'replay:foreign.log', '--speed', '0', '--no-loop', '--broker', 'embedded'], { 'foreign.log': foreignLog() });
  t.same(await p.exited, { code: 0, signal: null });
  t.equal(p.stderr.filter((l) => l.includes('frames matched')).join('\n'), `warn  persona: ${WARNING} ${WHAT}; is the configuration's "vehicle" the car of this log?`);
});
