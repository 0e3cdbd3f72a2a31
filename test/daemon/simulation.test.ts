import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { loadConfig } from '../../src/daemon/config.js';
import type { DecisionRecord } from '../../src/daemon/decision-record.js';
import { simulate } from '../../src/daemon/simulation.js';
import { decisionOutcome, decisionSummary } from '../../src/cli/simulate-command.js';

const root = packageRoot();
const GOLDEN = join(root, 'test/daemon/golden/demo-drive.decisions.jsonl');

void t.test('the bundled drive makes exactly the golden decisions', async (t) => {
  const { decisions, frames } = await simulate(loadConfig({ cwd: root, overrides: { can: `replay:${join(root, 'vehicles/demo/drive.log')}` } }), silentLogger);
  const lines = decisions.map((d) => JSON.stringify(decisionOutcome(d)));
  const golden = readFileSync(GOLDEN, 'utf8').trimEnd().split('\n');
  // The decisions, without the inputs they were taken on. Regenerate after an intended change:
  // persona simulate --can replay:vehicles/demo/drive.log --json | jq -c '{seq, time, canTime, trigger, context, drivers}' > test/daemon/golden/demo-drive.decisions.jsonl
  t.same(lines, golden);
  // A simulation has no wall clock of its own: its decisions are dated, on both clocks, when the car's daemon would have taken them.
  t.ok(
    decisions.every((d) => d.time === d.canTime && d.drivers.every((x) => x.notBefore === x.notBeforeCanTime)),
    'time and canTime are the drive\'s CAN time, deferrals too',
  );
  t.equal(decisions[0]!.canTime, '2026-01-01T09:00:00.000Z', "the drive's first frame");
  t.same(frames, { decoded: 29600, ignored: 0, short: 0, unusable: 0 }, 'every frame of the demo drive is of the demo vehicle');
  const switched = decisions.filter((d) => d.drivers.some((x) => ['switch', 'partial'].includes(x.result)));
  t.same(
    switched.map((d) => `${d.context.driving}:${d.drivers[0]!.winner.personality}:${d.drivers[0]!.result}`),
    ['parked:parked:switch', 'city:city:partial', 'city:city:switch', 'highway:highway:partial', 'city:city:switch', 'offroad:offroad:partial', 'city:city:switch', 'parked:parked:switch'],
  );
});

void t.test('a summary carries the speed, the features and every signal, rounded', async (t) => {
  const { decisions } = await simulate(loadConfig({ cwd: root, overrides: { can: `replay:${join(root, 'vehicles/demo/drive.log')}` } }), silentLogger);
  const highway = decisions.find((d) => d.context.driving === 'highway')!;
  const summary = decisionSummary(highway) as { speedKmh: number; features: Record<string, unknown>; signals: Record<string, { value: number; ageMs: number } | null> };
  t.same(decisionOutcome(highway), Object.fromEntries(Object.entries(summary).filter(([key]) => !['speedKmh', 'features', 'signals'].includes(key))), 'the decision itself, as the golden lines have it');
  t.equal(summary.speedKmh, Math.round(highway.inputs.features!.speedKmh! * 1000) / 1000);
  t.same(Object.keys(summary.features), Object.keys(highway.inputs.features!), 'every feature');
  t.same(Object.keys(summary.signals), Object.keys(highway.inputs.signals), 'every signal');
  for (const [vss, reading] of Object.entries(summary.signals)) {
    const raw = highway.inputs.signals[vss]!;
    t.same(reading, { value: Math.round(raw.value * 1000) / 1000, ageMs: Math.round(raw.ageMs * 10) / 10 }, `${vss}: value to 3 decimals, age to 0.1 ms`);
  }
});

void t.test('a summary passes each signal reading through whole: fields the snapshot gains appear', async (t) => {
  const record = {
    seq: 1,
    time: '2026-01-01T09:00:00.000Z',
    canTime: '2026-01-01T09:00:00.000Z',
    trigger: 'start',
    context: { driving: 'unknown', workload: 'normal', io: 'quiet', instance: 'unknown' },
    inputs: { signals: { 'Vehicle.Speed': { value: 12.34567, ageMs: 3.14159, maxAgeMs: 300.04, maxAgeSource: 'GenMsgCycleTime' }, 'Vehicle.Chassis.SteeringWheel.Angle': null }, features: null, workload: null, instance: null },
    drivers: [],
  } as unknown as DecisionRecord;
  t.same(decisionSummary(record), {
    seq: 1,
    time: '2026-01-01T09:00:00.000Z',
    canTime: '2026-01-01T09:00:00.000Z',
    trigger: 'start',
    context: record.context,
    drivers: {},
    speedKmh: null,
    features: null,
    signals: { 'Vehicle.Speed': { value: 12.346, ageMs: 3.1, maxAgeMs: 300, maxAgeSource: 'GenMsgCycleTime' }, 'Vehicle.Chassis.SteeringWheel.Angle': null },
  });
});

void t.test('a simulation needs a replay', async (t) => {
  await t.rejects(simulate(loadConfig({ cwd: root, overrides: { can: 'socketcan:vcan0' } }), silentLogger), { name: 'RangeError', message: /replay:FILE/ });
});
