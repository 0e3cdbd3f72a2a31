import t from 'tap';
import { describeDecision } from '../../src/cli/decision-text.js';
import type { DecisionRecord } from '../../src/daemon/decision-record.js';

const record = (instance: DecisionRecord['inputs']['instance']): DecisionRecord => ({
  seq: 4,
  time: '2026-03-02T14:00:07.250Z',
  canTime: '2026-01-01T09:01:30.000Z',
  trigger: 'instance constrained → unknown',
  context: { driving: 'highway', workload: 'normal', io: 'quiet', instance: 'unknown' },
  inputs: { signals: {}, freshness: {}, features: null, workload: null, instance },
  drivers: [],
});

void t.test("why names the instance state and the host's context as received; a stale one as ignored", async (t) => {
  const stale = { timeMs: 0, stale: true, role: 'batch', resources: 'constrained', hostPressure: 71.25, updated: '2026-01-01T09:00:00.000Z', source: 'dir:/run/host-context' } as const;
  t.same(describeDecision(record(stale)), [
    'decision 4 at 2026-03-02T14:00:07.250Z (CAN time 2026-01-01T09:01:30.000Z), after instance constrained → unknown',
    '  context: driving highway, workload normal, io quiet, instance unknown (speed unknown)',
    '  signals: none yet',
    '  host: stale, ignored (role batch, resources constrained, host pressure 71.3 %; from dir:/run/host-context, updated 2026-01-01T09:00:00.000Z)',
  ]);
  t.notOk(describeDecision(record(null)).some((l) => l.startsWith('  host:')), 'no host context received: no line');
  t.same(describeDecision(record(stale), { inputs: false, clock: 'wall' }).length, 2, 'simulate leaves the inputs out');
});

void t.test('a simulation tells its decisions at their CAN time, a deferral too', async (t) => {
  const deferred = {
    ...record(null),
    drivers: [
      {
        target: 'pvnic',
        resources: ['pvnic0'],
        driverId: 'pvnic',
        winner: { source: 'policy', personality: 'city', rule: 'policy.json#/drivers/pvnic/rules/5' },
        losers: [],
        result: 'deferred',
        apply: {},
        waiting: {},
        notBefore: '2026-03-02T14:00:12.250Z',
        notBeforeCanTime: '2026-01-01T09:01:35.000Z',
      },
    ],
  } satisfies DecisionRecord;
  t.same(describeDecision(deferred, { inputs: false, clock: 'can' }), [
    'decision 4 at CAN time 2026-01-01T09:01:30.000Z, after instance constrained → unknown',
    '  context: driving highway, workload normal, io quiet, instance unknown (speed unknown)',
    '  pvnic (pvnic0): city, chosen by policy rule policy.json#/drivers/pvnic/rules/5: deferred until 2026-01-01T09:01:35.000Z (minimum interval between switches)',
  ]);
  t.match(describeDecision(deferred)[2], / deferred until 2026-03-02T14:00:12\.250Z /, 'why: the deferral by the wall clock');
});

void t.test('why reads a record of a daemon from before canTime: its time was CAN time', async (t) => {
  const old = JSON.parse(JSON.stringify({ ...record(null), canTime: undefined })) as DecisionRecord;
  t.equal(describeDecision(old)[0], 'decision 4 at 2026-03-02T14:00:07.250Z, after instance constrained → unknown');
});

void t.test('why reads a record of a daemon from before freshness and degraded', async (t) => {
  const features = { timeMs: 0, speedKmh: 42, gear: 127, verticalRms: 0.1, wheelSlip: 0.01, steeringActivity: 2, standstillMs: 0, stopsPerMinute: 0, missing: [] };
  const old = { ...record(null), inputs: { signals: { 'Vehicle.Speed': { value: 42, ageMs: 3 }, 'Vehicle.Powertrain.Transmission.CurrentGear': null }, features, workload: null, instance: null } } as unknown as DecisionRecord;
  const lines = describeDecision(old);
  t.ok(lines.includes('  signals: Speed 42 (3 ms old), Powertrain.Transmission.CurrentGear stale (never received)'), lines.join('\n'));
});
