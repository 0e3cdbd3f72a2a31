import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCandumpLine } from '../../src/can/candump-line.js';
import type { Output } from '../../src/cli/output.js';
import { vehicleCommand } from '../../src/cli/vehicle-command.js';
import { packageRoot } from '../../src/common/package-root.js';
import { parseDbc } from '../../src/signals/dbc-parser.js';
import { encodeMessage } from '../../src/signals/message-codec.js';
import { spawnPersona } from '../helpers/persona-process.js';
import { GEAR, STEERING, writeRealLikeVehicle, writeVehicleFolder } from '../helpers/real-like-bus.js';

const root = packageRoot();
const DEMO = join(root, 'vehicles/demo');
const DEMO_LOG = join(DEMO, 'drive.log');

function capture(): Output & { printed: string[]; logged: string[] } {
  const printed: string[] = [];
  const logged: string[] = [];
  return { printed, logged, print: (line) => printed.push(line), log: (line) => logged.push(line) };
}

interface Report {
  frames: { total: number; mapped: number; short: number; other: number };
  frameMatch: string | null;
  signals: Array<{ vss: string; use: string; periodMs: number | null; maxAgeSource: string; staleShare: number | null; verdict: string; findings: Array<{ level: string; text: string }> }>;
  timeline: { contexts: Array<{ atS: number; context: string }>; changes: number; flapping: object | null };
  verdict: string;
}

async function check(args: string[]): Promise<{ code: number; printed: string[]; logged: string[] }> {
  const out = capture();
  const code = await vehicleCommand(['check', ...args], out);
  return { code, printed: out.printed, logged: out.logged };
}

async function checkJson(args: string[]): Promise<{ code: number; lines: number; report: Report }> {
  const { code, printed } = await check([...args, '--json']);
  return { code, lines: printed.length, report: JSON.parse(printed[0]!) as Report };
}

/** The table's row of a signal: its line starts with the VSS name. */
const row = (printed: readonly string[], vss: string): string | undefined => printed.find((l) => l.startsWith(`${vss} `));

void t.test('the demo drive: every signal ok, maximum ages from the DBC, the golden contexts', async (t) => {
  const { code, printed, logged } = await check(['--vehicle', DEMO, '--can', `replay:${DEMO_LOG}`]);
  t.equal(code, 0);
  t.same(logged, []);
  t.ok(printed.includes('frames    29,600: 29,600 of mapped messages (0 short), 0 of other messages'));
  t.ok(printed.includes('drive     185.0 s'));
  t.ok(printed.includes('warnings  0 of the map, 0 of the DBC'));
  t.equal(row(printed, 'Vehicle.Speed'), 'Vehicle.Speed                                VehicleSpeed.Speed         required   9,250   20 ms  60 ms dbc   0.0 %  0 … 122.46 km/h        ok');
  t.equal(row(printed, 'Vehicle.Acceleration.Longitudinal'), 'Vehicle.Acceleration.Longitudinal            Chassis.AccelLongitudinal  not read   9,250   20 ms  60 ms dbc   0.0 %  -2.341 … 1.776 m/s²    ok');
  t.ok(printed.includes('contexts  0.0 s unknown → 0.1 s parked → 13.2 s city → 71.2 s highway → 123.6 s city → 127.9 s offroad → 167.8 s city → 176.1 s parked'));
  t.ok(printed.includes('changes   7, no flapping (more than 10 changes within 60 s is flapping)'));
  t.equal(printed.at(-1), 'verdict   ok: 9 ok');

  const { lines, report } = await checkJson(['--vehicle', DEMO, '--can', `replay:${DEMO_LOG}`]);
  t.equal(lines, 1, '--json: one object');
  t.equal(report.signals.length, 9);
  t.ok(report.signals.every((s) => s.verdict === 'ok' && s.maxAgeSource === 'dbc' && s.staleShare === 0), 'every signal ok, from the DBC, never stale');
  // The golden decisions of the bundled drive (test/daemon/golden/demo-drive.decisions.jsonl).
  t.same(report.timeline.contexts.map((c) => c.context), ['unknown', 'parked', 'city', 'highway', 'city', 'offroad', 'city', 'parked']);
  t.equal(report.verdict, 'ok');
});

void t.test('the real-like bus: ages learned from the bus, a 1 s gear, each phase in the timeline, no flapping', async (t) => {
  const dir = t.testdir();
  const bus = writeRealLikeVehicle(dir, 1);
  const { code, report } = await checkJson(['--vehicle', dir, '--can', `replay:${join(dir, 'drive.log')}`]);
  t.equal(code, 0);
  t.equal(report.frameMatch, null);
  t.equal(report.frames.total, bus.frames.length);
  t.ok(report.signals.every((s) => s.maxAgeSource === 'observed'), 'no cycle time in the DBC: every maximum age observed');
  const gear = report.signals.find((s) => s.vss === GEAR)!;
  t.ok(gear.periodMs! > 900 && gear.periodMs! < 1100, `the gear every ~1000 ms (${gear.periodMs} ms)`);
  t.same(report.signals.map((s) => s.verdict), report.signals.map(() => 'ok'), 'the stops of the mapped messages stay under 5 % of the drive; the steering sign agrees with the wheels');
  t.equal(report.timeline.flapping, null);
  // The real transitions: each phase whose expected context differs from the one before.
  const transitions = bus.phases.filter((p, i) => p.expected !== (i === 0 ? 'unknown' : bus.phases[i - 1]!.expected));
  t.same(report.timeline.contexts.map((c) => c.context), ['unknown', ...transitions.map((p) => p.expected)]);
  report.timeline.contexts.slice(1).forEach((c, i) => {
    const phase = transitions[i]!;
    const startS = (phase.startMs * 1000 - bus.startUs) / 1e6;
    t.ok(c.atS >= startS - 0.1 && c.atS <= startS + phase.settleMs / 1000, `${c.context} at ${c.atS} s, in ${phase.name} (${startS.toFixed(1)} s + ${phase.settleMs} ms)`);
  });
  t.equal(report.timeline.changes, transitions.length);

  // The same drive read with the steering's sign bit the wrong way round, as a map may have it.
  const flipped = join(dir, 'flipped');
  const map = structuredClone(bus.signalMap);
  (map.signals[STEERING] as { sign: { negativeWhen: number } }).sign.negativeWhen = 0;
  writeVehicleFolder(flipped, { dbcText: bus.dbcText, signalMap: map }, { log: false });
  const { report: misread } = await checkJson(['--vehicle', flipped, '--can', `replay:${join(dir, 'drive.log')}`]);
  t.match(misread.signals.find((s) => s.vss === STEERING)!.findings, [{ level: 'warn', text: /^the wheel speeds turn the other way in \d+ of \d+ turns: a missing or reversed sign \(see sign in signals.json\)$/ }]);
  t.same(misread.signals.filter((s) => s.verdict !== 'ok').map((s) => s.vss), [STEERING], 'the steering alone');
});

/** A log of another car: 1,200 frames of ids the demo DBC has not. */
function foreignLog(): string {
  const lines = [];
  for (let i = 0; i < 1200; i++) lines.push(`(${(1767258000 + i / 100).toFixed(6)}) can0 ${(0x100 + (i % 3)).toString(16).toUpperCase()}#0011223344556677`);
  return lines.join('\n') + '\n';
}

void t.test("a log of another car fails: nothing matched, the speed never received (the compiled CLI)", async (t) => {
  const p = spawnPersona(t, ['vehicle', 'check', '--vehicle', 'demo', '--can', 'replay:foreign.log'], { 'foreign.log': foreignLog() });
  t.same(await p.exited, { code: 1, signal: null });
  const printed = p.stdout.filter(Boolean);
  t.ok(printed.includes('frames    1,200: 0 of mapped messages (0 short), 1,200 of other messages'));
  t.ok(printed.includes(`          0 of 1,200 frames matched ${join(root, 'vehicles/demo/demo.dbc')} (the 4 messages its signals.json maps); is --vehicle right?`));
  t.match(printed.find((l) => l.startsWith('Vehicle.Speed ')), / required +0 +- +60 ms dbc +never +- +fail: never received$/);
  t.match(printed.find((l) => l.startsWith('Vehicle.Acceleration.Vertical ')), / warn: never received$/);
  t.ok(printed.includes('contexts  0.0 s unknown'));
  t.equal(printed.at(-1), 'verdict   fail: 1 fail, 8 warn; the log matches nothing of the vehicle');
});

/**
 * A small vehicle: a speed and a gear selector whose map lists P and D only; the log sends R
 * (code 6) three times. `speedCycleMs` and `gearEveryMs` let the DBC and the bus disagree.
 */
function smallVehicle(options: { speedCycleMs: number; gearEveryMs: number; topKmh: number }): Record<string, string> {
  const dbcText = `VERSION ""

NS_ :

BS_:

BU_: ECU

BO_ 256 Speed: 8 ECU
 SG_ VehicleSpeed : 0|16@1+ (0.01,0) [0|300] "km/h" Vector__XXX

BO_ 257 Gear: 8 ECU
 SG_ Selector : 0|8@1+ (1,0) [0|15] "" Vector__XXX

BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
BA_ "GenMsgCycleTime" BO_ 256 ${options.speedCycleMs};
BA_ "GenMsgCycleTime" BO_ 257 100;
`;
  const dbc = parseDbc(dbcText, 'small.dbc');
  const [speed, gear] = dbc.messages;
  const lines: string[] = [];
  const startUs = 1_767_258_000_000_000;
  const frame = (timeMs: number, id: number, data: Uint8Array): string =>
    formatCandumpLine({ timeUs: startUs + timeMs * 1000, iface: 'can0', id, extended: false, fd: false, remote: false, error: false, data });
  for (let ms = 0; ms < 60_000; ms += 100) {
    // 10 s parked, then up to the top speed (at most 400 km/h) and back down, parked for the last 10 s.
    const moving = Math.max(0, Math.min(ms - 10_000, 50_000 - ms));
    lines.push(frame(ms, speed!.id, encodeMessage(speed!, { VehicleSpeed: Math.min(options.topKmh, moving / 50) })));
    const code = ms >= 30_000 && ms < 30_300 ? 6 : ms >= 10_000 && ms < 50_000 ? 8 : 5;
    if (ms % options.gearEveryMs === 0 || code === 6) lines.push(frame(ms + 5, gear!.id, encodeMessage(gear!, { Selector: code })));
  }
  const map = {
    dbc: 'small.dbc',
    signals: {
      'Vehicle.Speed': { message: 'Speed', signal: 'VehicleSpeed' },
      [GEAR]: { message: 'Gear', signal: 'Selector', values: { '5': 126, '8': 127 } },
    },
  };
  return { 'small.dbc': dbcText, 'signals.json': JSON.stringify(map), 'drive.log': lines.join('\n') + '\n' };
}

void t.test('a gear code the map does not list is named with its count', async (t) => {
  const dir = t.testdir(smallVehicle({ speedCycleMs: 100, gearEveryMs: 100, topKmh: 100 }));
  const { code, printed } = await check(['--vehicle', dir, '--can', `replay:${join(dir, 'drive.log')}`]);
  t.equal(code, 0, 'a warning is no failure');
  t.same(printed.slice(printed.indexOf('') + 1, printed.indexOf('') + 4), [
    'signal                                       DBC                 use       frames  period  max age     stale  range         verdict',
    'Vehicle.Speed                                Speed.VehicleSpeed  required     600  100 ms  300 ms dbc  0.0 %  0 … 100 km/h  ok',
    'Vehicle.Powertrain.Transmission.CurrentGear  Gear.Selector       optional     600  100 ms  300 ms dbc  0.2 %  126 … 127     warn: unmapped codes 6 (3×): add them to values in signals.json',
  ]);
  t.equal(printed.at(-1), 'verdict   warn: 1 warn, 1 ok');
});

void t.test("a DBC cycle time ×2 off the bus either way, and values past the DBC's range, warn", async (t) => {
  const dir = t.testdir(smallVehicle({ speedCycleMs: 1000, gearEveryMs: 1000, topKmh: 310 }));
  const { code, report } = await checkJson(['--vehicle', dir, '--can', `replay:${join(dir, 'drive.log')}`]);
  t.equal(code, 0);
  const [speed, gear] = report.signals;
  t.same(speed!.findings.map((f) => f.text), ['DBC says 1000 ms, the bus 100 ms: set maxAgeMs or fix GenMsgCycleTime', "decoded 0 … 310 km/h, outside the DBC's range [0|300]"]);
  t.equal(gear!.findings.at(-2)!.text, 'DBC says 100 ms, the bus 1000 ms: set maxAgeMs or fix GenMsgCycleTime');
  t.match(gear!.findings[0]!.text, /^stale \d+\.\d % of the time$/, 'a 300 ms maximum age on a 1 s message: mostly stale');
  t.equal(gear!.verdict, 'warn', 'an optional signal only warns');
  t.same(report.signals.map((s) => s.verdict), ['warn', 'warn']);
});

void t.test('a wrong command line or an unusable vehicle or log is exit code 2', async (t) => {
  t.equal((await check(['--vehicle', DEMO])).code, 2, 'no --can');
  t.equal((await check(['--vehicle', DEMO, '--can', 'socketcan:can0'])).code, 2, 'not a replay');
  const missing = await check(['--vehicle', DEMO, '--can', 'replay:nowhere.log']);
  t.same({ code: missing.code, logged: missing.logged }, { code: 2, logged: ['persona vehicle check: --can replay:nowhere.log: file not found'] });
  const folder = await check(['--vehicle', DEMO, '--can', `replay:${root}`]);
  t.same({ code: folder.code, logged: folder.logged }, { code: 2, logged: [`persona vehicle check: --can replay:${root}: EISDIR`] }, 'a folder for a log');
  const noVehicle = await check(['--vehicle', join(root, 'no-such-car'), '--can', `replay:${DEMO_LOG}`]);
  t.same({ code: noVehicle.code, logged: noVehicle.logged }, { code: 2, logged: [`--vehicle ${join(root, 'no-such-car')}: no signals.json in ${join(root, 'no-such-car')}`] });
  const out = capture();
  t.equal(await vehicleCommand(['lint'], out), 2, 'an unknown subcommand');
  t.match(out.logged[0], /^persona vehicle: expected "check"/);
  t.ok(readFileSync(join(root, 'README.md'), 'utf8').includes('| `persona vehicle check '), 'README lists the command');
});
