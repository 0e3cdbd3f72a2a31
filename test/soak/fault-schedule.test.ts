import t, { type Test } from 'tap';
import { describeSchedule, FAULT_KINDS, faultSchedule, type FaultSchedule, type ScheduleProfile } from './fault-schedule.js';

const profile: ScheduleProfile = { durationMs: 30 * 60_000, settleMs: 15_000, maxOverlap: 3, staggerMs: 4_000, minEach: 5 };

/** Every check a schedule must pass, whatever its seed. */
function checkSchedule(t: Test, schedule: FaultSchedule, p: ScheduleProfile): void {
  let previousCheck = 0;
  for (const [i, round] of schedule.rounds.entries()) {
    const label = `seed ${schedule.seed} round ${i + 1}`;
    if (round.startMs !== previousCheck) t.fail(`${label}: starts where the last check was`);
    if (round.faults.length < 1 || round.faults.length > p.maxOverlap) t.fail(`${label}: ${round.faults.length} faults`);
    const targets = round.faults.map((f) => f.kind.target);
    if (new Set(targets).size !== targets.length) t.fail(`${label}: two faults on one part of the car: ${targets.join(', ')}`);
    for (const f of round.faults) {
      if (f.atMs < round.startMs || f.atMs > round.startMs + p.staggerMs) t.fail(`${label}: ${f.kind.name} starts outside the stagger`);
      if (f.lastsMs < f.kind.lastsMs[0] || f.lastsMs > f.kind.lastsMs[1]) t.fail(`${label}: ${f.kind.name} lasts ${f.lastsMs} ms`);
      if (f.atMs + f.lastsMs > round.quietFromMs) t.fail(`${label}: ${f.kind.name} still on when the quiet begins`);
    }
    if (round.quietFromMs !== Math.max(...round.faults.map((f) => f.atMs + f.lastsMs))) t.fail(`${label}: the quiet begins when the last fault ends`);
    if (round.checkAtMs !== round.quietFromMs + p.settleMs) t.fail(`${label}: checked a settle time after the quiet begins`);
    previousCheck = round.checkAtMs;
  }
  if (previousCheck > p.durationMs) t.fail(`seed ${schedule.seed}: the last check at ${previousCheck} ms is past the run's end`);
}

void t.test('one seed, one schedule: a run is replayed from the seed it printed', async (t) => {
  const a = faultSchedule(20261207, profile);
  const b = faultSchedule(20261207, profile);
  t.same(describeSchedule(a), describeSchedule(b));
  t.not(describeSchedule(faultSchedule(20261208, profile)).join('\n'), describeSchedule(a).join('\n'), 'another seed, another schedule');
  t.match(describeSchedule(a)[0], /^soak seed 20261207 \(replay: PERSONA_SOAK_SEED=20261207\), \d+ rounds$/);
  t.match(describeSchedule(a)[1], /^round 1 at 0\.0 s: .+; checked at \d+\.\d s$/);
});

void t.test('any seed: rounds back to back, faults on distinct parts within their bounds, a quiet settle before each check', async (t) => {
  for (let seed = 0; seed < 200; seed++) checkSchedule(t, faultSchedule(seed * 7919, profile), profile);
  t.pass('200 seeds checked');
});

void t.test('every kind comes up, about equally often, and faults overlap', async (t) => {
  const schedule = faultSchedule(42, profile);
  const counts = [...schedule.counts.values()];
  t.equal(schedule.counts.size, FAULT_KINDS.length);
  t.ok(Math.min(...counts) >= profile.minEach, `each kind at least ${profile.minEach} times: ${Math.min(...counts)}`);
  t.ok(Math.max(...counts) - Math.min(...counts) <= 1, `the least injected go first: between ${Math.min(...counts)} and ${Math.max(...counts)}`);
  const overlapping = schedule.rounds.filter((r) => r.faults.some((f, i) => r.faults.some((g, j) => i !== j && f.atMs < g.atMs + g.lastsMs && g.atMs < f.atMs + f.lastsMs)));
  t.ok(overlapping.length > schedule.rounds.length / 4, `faults overlap in ${overlapping.length} of ${schedule.rounds.length} rounds`);
});

void t.test('a profile too short for every kind, and a seed out of range, are refused with what to change', async (t) => {
  t.throws(() => faultSchedule(1, { ...profile, durationMs: 60_000 }), { message: /^a soak of 60 s schedules ".+" 0 times.*: fewer than 5; make it longer$/ });
  t.throws(() => faultSchedule(-1, profile), { message: 'soak seed -1 must be an integer from 0 to 4294967295' });
  t.throws(() => faultSchedule(1.5, profile), RangeError);
});
