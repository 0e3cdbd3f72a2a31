/**
 * The soak's faults, on a schedule drawn from a seed: the same seed gives the same schedule, so
 * a run that found a violation is replayed from the seed it printed at the start.
 *
 * The run is a sequence of rounds. In a round, one to a few faults overlap, each on a part of
 * the car of its own (the broker restarts while the bus is down and the clock steps); then
 * nothing is injected for the settle time, and the invariants are checked at its end. The kinds
 * least injected so far go first, so every kind comes up about equally often.
 */
import { mulberry32 } from '../../src/common/prng.js';

/** The part of the car a fault acts on: two faults on one part never overlap. */
export type FaultTarget = 'broker' | 'daemon' | 'bus' | 'state folder' | 'clock' | 'driver' | 'clients' | 'namespace';

export interface FaultKind {
  readonly name: string;
  readonly target: FaultTarget;
  /** How long the fault lasts, shortest and longest; 0 for one that happens at an instant (a kill). */
  readonly lastsMs: readonly [number, number];
}

/** Every fault an ECU meets that the soak injects. */
export const FAULT_KINDS: readonly FaultKind[] = [
  { name: 'broker killed (kill -9), restarted without persistence', target: 'broker', lastsMs: [500, 8_000] },
  { name: 'broker killed (kill -9), restarted with persistence', target: 'broker', lastsMs: [500, 8_000] },
  { name: 'daemon killed (SIGKILL) during an apply', target: 'daemon', lastsMs: [0, 0] },
  { name: 'daemon killed (SIGKILL) during a reload', target: 'daemon', lastsMs: [0, 0] },
  { name: 'SIGHUP storm', target: 'daemon', lastsMs: [1_000, 5_000] },
  { name: 'CAN interface down', target: 'bus', lastsMs: [1_000, 10_000] },
  { name: 'CAN error frames', target: 'bus', lastsMs: [1_000, 5_000] },
  { name: 'CAN burst at the bus maximum', target: 'bus', lastsMs: [1_000, 5_000] },
  { name: 'a message stops', target: 'bus', lastsMs: [2_000, 10_000] },
  { name: 'state folder full', target: 'state folder', lastsMs: [2_000, 10_000] },
  { name: 'state folder read-only', target: 'state folder', lastsMs: [2_000, 10_000] },
  { name: 'clock steps forward', target: 'clock', lastsMs: [0, 0] },
  { name: 'clock steps back', target: 'clock', lastsMs: [0, 0] },
  { name: 'driver apply failures', target: 'driver', lastsMs: [1_000, 8_000] },
  { name: 'drift through ethtool', target: 'driver', lastsMs: [0, 0] },
  { name: 'health breach (drops)', target: 'driver', lastsMs: [1_000, 5_000] },
  { name: 'request flood from several clients', target: 'clients', lastsMs: [1_000, 5_000] },
  { name: 'a personality release adopted through the namespace', target: 'namespace', lastsMs: [0, 0] },
];

export interface ScheduleProfile {
  /** Length of the run; the schedule fills it with whole rounds. */
  readonly durationMs: number;
  /** Quiet time after a round, at whose end the invariants must hold. */
  readonly settleMs: number;
  /** Most faults in one round. */
  readonly maxOverlap: number;
  /** Latest start of a fault after its round begins. */
  readonly staggerMs: number;
  /** Each kind at least this often, or the profile is refused as too short. */
  readonly minEach: number;
}

export interface ScheduledFault {
  readonly kind: FaultKind;
  /** From the start of the run. */
  readonly atMs: number;
  readonly lastsMs: number;
}

export interface Round {
  readonly startMs: number;
  readonly faults: readonly ScheduledFault[];
  /** When the last fault of the round has ended; from then on nothing is injected until checkAtMs. */
  readonly quietFromMs: number;
  /** When the invariants are checked. */
  readonly checkAtMs: number;
}

export interface FaultSchedule {
  readonly seed: number;
  readonly rounds: readonly Round[];
  /** How often each kind was scheduled, by name. */
  readonly counts: ReadonlyMap<string, number>;
}

/** A uniform integer in [min, max]. */
function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The schedule for `seed` under `profile`; throws when the profile cannot hold `minEach` of every kind. */
export function faultSchedule(seed: number, profile: ScheduleProfile, kinds: readonly FaultKind[] = FAULT_KINDS): FaultSchedule {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`soak seed ${seed} must be an integer from 0 to 4294967295`);
  const random = mulberry32(seed);
  const counts = new Map(kinds.map((k) => [k.name, 0]));
  const rounds: Round[] = [];
  let startMs = 0;
  for (;;) {
    // The least injected kinds first, in a random order among equals; one per target.
    const order = kinds.map((kind) => ({ kind, tie: random() })).sort((a, b) => counts.get(a.kind.name)! - counts.get(b.kind.name)! || a.tie - b.tie);
    const wanted = between(random, 1, profile.maxOverlap);
    const targets = new Set<FaultTarget>();
    const faults: ScheduledFault[] = [];
    for (const { kind } of order) {
      if (faults.length === wanted) break;
      if (targets.has(kind.target)) continue;
      targets.add(kind.target);
      faults.push({ kind, atMs: startMs + (faults.length === 0 ? 0 : between(random, 0, profile.staggerMs)), lastsMs: between(random, kind.lastsMs[0], kind.lastsMs[1]) });
    }
    const quietFromMs = Math.max(...faults.map((f) => f.atMs + f.lastsMs));
    const checkAtMs = quietFromMs + profile.settleMs;
    if (checkAtMs > profile.durationMs) break;
    faults.sort((a, b) => a.atMs - b.atMs);
    for (const f of faults) counts.set(f.kind.name, counts.get(f.kind.name)! + 1);
    rounds.push({ startMs, faults, quietFromMs, checkAtMs });
    startMs = checkAtMs;
  }
  const short = [...counts].filter(([, n]) => n < profile.minEach);
  if (short.length > 0) {
    throw new RangeError(`a soak of ${profile.durationMs / 1000} s schedules ${short.map(([name, n]) => `"${name}" ${n} times`).join(', ')}: fewer than ${profile.minEach}; make it longer`);
  }
  return { seed, rounds, counts };
}

/** The schedule as the soak prints it at its start: the seed to replay it, then each round. */
export function describeSchedule(schedule: FaultSchedule): string[] {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  return [
    `soak seed ${schedule.seed} (replay: PERSONA_SOAK_SEED=${schedule.seed}), ${schedule.rounds.length} rounds`,
    ...schedule.rounds.map((r, i) => `round ${i + 1} at ${s(r.startMs)}: ${r.faults.map((f) => `${f.kind.name} at ${s(f.atMs)}${f.lastsMs > 0 ? ` for ${s(f.lastsMs)}` : ''}`).join('; ')}; checked at ${s(r.checkAtMs)}`),
  ];
}
