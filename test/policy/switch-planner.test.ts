import t from 'tap';
import type { Verdict } from '../../src/policy/arbiter.js';
import { planSwitch, type PlanInput } from '../../src/policy/switch-planner.js';

const verdict = (personality: string, source: 'policy' | 'safety' | 'hold' = 'policy'): Verdict => ({ target: { key: 'pvnic', driverId: 'pvnic', resources: ['pvnic0'] }, driverId: 'pvnic', winner: { source, personality, rule: 'r' }, losers: [] });
const highway = { interrupt_coalescence_time: 4_000_000, DMA_buffer_size: 262144, power_saving_mode: 'disabled' };
const cityValues = { interrupt_coalescence_time: 1_000_000, DMA_buffer_size: 65536, power_saving_mode: 'balanced' };
const classes: Record<string, 'runtime' | 'disruptive'> = { interrupt_coalescence_time: 'runtime', DMA_buffer_size: 'disruptive', power_saving_mode: 'runtime' };

const input = (over: Partial<PlanInput>): PlanInput => ({
  verdict: verdict('highway'),
  target: highway,
  standing: { personality: 'city', lastSwitchMs: 0, values: cityValues },
  applyClass: (name) => classes[name] ?? 'disruptive',
  standstill: false,
  nowMs: 60_000,
  minSwitchIntervalMs: 10_000,
  ...over,
});

void t.test('at speed: runtime parameters now, disruptive ones wait', async (t) => {
  t.same(planSwitch(input({})), { result: 'partial', apply: { interrupt_coalescence_time: 4_000_000, power_saving_mode: 'disabled' }, waiting: { DMA_buffer_size: 262144 } });
});

void t.test('at a standstill everything changes', async (t) => {
  t.same(planSwitch(input({ standstill: true })).result, 'switch');
});

void t.test('only a disruptive difference while moving: pending', async (t) => {
  const plan = planSwitch(input({ standing: { personality: 'highway', lastSwitchMs: 59_000, values: { ...highway, DMA_buffer_size: 65536 } } }));
  t.same(plan, { result: 'pending', apply: {}, waiting: { DMA_buffer_size: 262144 } }, 'completing a begun switch is not rate limited');
});

void t.test('too soon after the last switch: deferred until the interval is over', async (t) => {
  t.same(planSwitch(input({ nowMs: 5_000 })), { result: 'deferred', apply: {}, waiting: {}, notBeforeMs: 10_000 });
  t.equal(planSwitch(input({ nowMs: 10_000 })).result, 'partial', 'due at exactly the interval');
  t.equal(planSwitch(input({ nowMs: 5_000, verdict: verdict('safe', 'safety') })).result, 'partial', 'safety is never deferred');
});

void t.test('nothing differs: unchanged', async (t) => {
  t.same(planSwitch(input({ target: cityValues, verdict: verdict('city') })), { result: 'unchanged', apply: {}, waiting: {} });
});
