import { createFrameSource, parseSourceSpec } from '../can/frame-source-spec.js';
import type { Logger } from '../common/logger.js';
import { OPTIONAL_SIGNALS, REQUIRED_SIGNALS, STEERING_ANGLE, WHEEL_SPEEDS } from '../context/driving-features.js';
import { SignalDecoder, type DecoderStats, type SignalSnapshot } from '../signals/signal-decoder.js';
import type { MappedSignal, MaxAgeSource, Vehicle } from '../signals/signal-map.js';
import { VSS_UNITS } from '../signals/signal-units.js';

// The verdict rules per signal, as `persona vehicle check --help` lists them; their thresholds are here.

/** How often, in CAN time, the decoder's snapshot is sampled for staleness. */
export const SAMPLE_INTERVAL_MS = 100;
const STALE_WARN_SHARE = 0.05;
const STALE_FAIL_SHARE = 0.2;
/** A DBC cycle time this many times off the bus's period, either way, is wrong. */
const CYCLE_TIME_RATIO = 2;
const MAX_PLAUSIBLE_KMH = 400;
/** Turns the sign check trusts: the steering wheel well off centre, moving, and the wheels showing it. */
const TURN_MIN_STEERING_DEG = 30;
const TURN_MIN_SPEED_KMH = 5;
const TURN_MIN_WHEEL_SPREAD = 0.005;
/** Samples a turn needs (0.3 s) before it counts: one noisy sample is no turn. */
const TURN_MIN_SAMPLES = 3;

export type SignalUse = 'required' | 'optional' | 'not read';
export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  readonly level: Exclude<Verdict, 'ok'>;
  readonly text: string;
}

/** What the drive showed of one mapped signal, and the verdict on it. */
export interface SignalCheck {
  readonly vss: string;
  /** `message.signal` in the DBC. */
  readonly dbc: string;
  readonly use: SignalUse;
  readonly frames: number;
  /** Median interval on the bus; null before two frames. */
  readonly periodMs: number | null;
  /** Null when never learned from the bus. */
  readonly maxAgeMs: number | null;
  readonly maxAgeSource: MaxAgeSource;
  /** Share of the drive's samples it read as stale after its first frame; null when never received. */
  readonly staleShare: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly unit: string;
  /** DBC codes the map's `values` do not list, with how often each came. */
  readonly unmapped: ReadonlyArray<{ readonly code: number; readonly count: number }>;
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
}

/** The log as the vehicle's decoder saw it. */
export interface DriveCheck {
  readonly frames: DecoderStats;
  /** CAN time of the first and last frame; null for a log without frames. */
  readonly firstUs: number | null;
  readonly durationMs: number;
  readonly signals: readonly SignalCheck[];
}

/** Per mapped signal, what sampling the snapshot saw. */
interface SampleCounts {
  samples: number;
  /** Per signal: samples since its first frame, and how many of them found it stale. */
  readonly sampledSinceSeen: Float64Array;
  readonly stale: Float64Array;
  readonly seen: Uint8Array;
}

/** A run of samples steering one way, and whether the wheel speeds turned the same way. */
interface TurnTally {
  direction: 1 | -1 | 0;
  agree: number;
  disagree: number;
  turnsAgreeing: number;
  turnsDisagreeing: number;
}

/** Replays `can` through the vehicle's decoder as fast as possible and judges every mapped signal. */
export async function checkDrive(vehicle: Vehicle, can: string, logger: Logger): Promise<DriveCheck> {
  const decoder = new SignalDecoder(vehicle);
  const source = createFrameSource(parseSourceSpec(can), { speed: 0, loop: false, filters: [], logger });
  const n = vehicle.signals.length;
  const counts: SampleCounts = { samples: 0, stale: new Float64Array(n), sampledSinceSeen: new Float64Array(n), seen: new Uint8Array(n) };
  const turns: TurnTally = { direction: 0, agree: 0, disagree: 0, turnsAgreeing: 0, turnsDisagreeing: 0 };
  const signsCheckable = [STEERING_ANGLE, ...WHEEL_SPEEDS].every((vss) => vehicle.signals.some((s) => s.vss === vss));
  let firstUs: number | undefined;
  let lastUs = 0;
  let nextSampleUs = 0;
  const sample = (timeUs: number): void => {
    const snapshot = decoder.snapshot(timeUs);
    counts.samples++;
    vehicle.signals.forEach((s, i) => {
      if (counts.seen[i] === 0 && decoder.tally(s.vss)!.frames > 0) counts.seen[i] = 1;
      if (counts.seen[i] === 0) return;
      counts.sampledSinceSeen[i]!++;
      if (snapshot[s.vss] === null) counts.stale[i]!++;
    });
    if (signsCheckable) tallyTurn(turns, snapshot);
  };
  await source.start((frame) => {
    if (firstUs === undefined) firstUs = nextSampleUs = frame.timeUs;
    while (nextSampleUs < frame.timeUs) {
      sample(nextSampleUs);
      nextSampleUs += SAMPLE_INTERVAL_MS * 1000;
    }
    decoder.accept(frame);
    lastUs = frame.timeUs;
  });
  if (firstUs !== undefined) {
    for (; nextSampleUs <= lastUs; nextSampleUs += SAMPLE_INTERVAL_MS * 1000) sample(nextSampleUs);
  }
  endTurn(turns);
  const freshness = decoder.freshness(lastUs);
  const signals = vehicle.signals.map((s, i): SignalCheck => {
    const tally = decoder.tally(s.vss)!;
    const f = freshness[s.vss]!;
    const observed = {
      vss: s.vss,
      dbc: `${s.message.name}.${s.signal.name}`,
      use: useOf(s.vss),
      frames: tally.frames,
      periodMs: f.periodMs,
      maxAgeMs: f.maxAgeMs,
      maxAgeSource: f.source,
      staleShare: tally.frames > 0 ? counts.stale[i]! / Math.max(1, counts.sampledSinceSeen[i]!) : null,
      min: tally.min,
      max: tally.max,
      unit: s.unit,
      unmapped: [...tally.unmapped].sort(([a], [b]) => a - b).map(([code, count]) => ({ code, count })),
    };
    const findings = judge(s, observed);
    if (s.vss === STEERING_ANGLE && turns.turnsDisagreeing > turns.turnsAgreeing) {
      const all = turns.turnsAgreeing + turns.turnsDisagreeing;
      findings.push({ level: 'warn', text: `the wheel speeds turn the other way in ${turns.turnsDisagreeing} of ${all} turns: a missing or reversed sign (see sign in signals.json)` });
    }
    return { ...observed, verdict: worst(findings), findings };
  });
  return { frames: decoder.stats, firstUs: firstUs ?? null, durationMs: firstUs === undefined ? 0 : (lastUs - firstUs) / 1000, signals };
}

function useOf(vss: string): SignalUse {
  if ((REQUIRED_SIGNALS as readonly string[]).includes(vss)) return 'required';
  return (OPTIONAL_SIGNALS as readonly string[]).includes(vss) ? 'optional' : 'not read';
}

export function worst(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.level === 'fail')) return 'fail';
  return findings.length > 0 ? 'warn' : 'ok';
}

const rounded = (value: number): number => Math.round(value * 100) / 100;

/** The rules at the top of this file, but the steering sign, for one signal. */
function judge(s: MappedSignal, seen: Omit<SignalCheck, 'verdict' | 'findings'>): Finding[] {
  const findings: Finding[] = [];
  if (seen.staleShare === null) return [{ level: seen.use === 'required' ? 'fail' : 'warn', text: 'never received' }];
  const share = seen.staleShare;
  if (share > STALE_WARN_SHARE) {
    const level = seen.use === 'required' && share > STALE_FAIL_SHARE ? 'fail' : 'warn';
    findings.push({ level, text: `stale ${(share * 100).toFixed(1)} % of the time` });
  }
  const cycleMs = s.message.cycleTimeMs;
  if (seen.maxAgeSource === 'dbc' && cycleMs !== undefined && seen.periodMs !== null) {
    const ratio = seen.periodMs / cycleMs;
    if (ratio > CYCLE_TIME_RATIO || ratio < 1 / CYCLE_TIME_RATIO) {
      findings.push({ level: 'warn', text: `DBC says ${cycleMs} ms, the bus ${Math.round(seen.periodMs)} ms: set maxAgeMs or fix GenMsgCycleTime` });
    }
  }
  if (seen.unmapped.length > 0) {
    findings.push({ level: 'warn', text: `unmapped codes ${seen.unmapped.map((u) => `${u.code} (${u.count}×)`).join(', ')}: add them to values in signals.json` });
  }
  if (seen.min !== null && seen.max !== null) {
    const outside = outsideDbcRange(s, seen.min, seen.max);
    if (outside !== undefined) findings.push({ level: 'warn', text: outside });
    if (VSS_UNITS.get(s.vss) === 'km/h' && seen.min < 0) findings.push({ level: 'warn', text: `a negative speed (${rounded(seen.min)} km/h): a signed signal, or an offset?` });
    if (VSS_UNITS.get(s.vss) === 'km/h' && seen.max > MAX_PLAUSIBLE_KMH) findings.push({ level: 'warn', text: `a speed above ${MAX_PLAUSIBLE_KMH} km/h (${rounded(seen.max)}): the unit, or the factor?` });
  }
  return findings;
}

/**
 * Decoded values outside the DBC signal's physical range, compared in DBC units: the VSS value
 * is the DBC one times the map's factor plus its offset. Enumerations are judged by their
 * codes, and a separate sign signal leaves only the magnitude to compare.
 */
function outsideDbcRange(s: MappedSignal, min: number, max: number): string | undefined {
  const { minimum, maximum, unit } = s.signal;
  if (s.values !== undefined || (minimum === 0 && maximum === 0)) return undefined;
  const toDbc = (vss: number): number => (vss - s.offset) / s.factor;
  const ends = s.sign ? [toDbc(Math.max(Math.abs(min), Math.abs(max)))] : [toDbc(min), toDbc(max)];
  const low = Math.min(...ends);
  const high = Math.max(...ends);
  // A value at the very end of the range may come back a rounding error past it.
  const slack = 1e-6 * Math.max(1, Math.abs(minimum), Math.abs(maximum));
  const below = !s.sign && low < minimum - slack;
  if (!below && high <= maximum + slack) return undefined;
  const inUnit = unit.trim() === '' ? '' : ` ${unit}`;
  return `decoded ${rounded(low)} … ${rounded(high)}${inUnit}, outside the DBC's range [${minimum}|${maximum}]`;
}

/** One sample for the steering sign check: VSS steering is positive to the left, where the right wheels run faster. */
function tallyTurn(turns: TurnTally, snapshot: SignalSnapshot): void {
  const steering = snapshot[STEERING_ANGLE]?.value;
  const wheels = WHEEL_SPEEDS.map((vss) => snapshot[vss]?.value);
  const [fl, fr, rl, rr] = wheels;
  if (steering === undefined || fl === undefined || fr === undefined || rl === undefined || rr === undefined) return endTurn(turns);
  const mean = (fl + fr + rl + rr) / 4;
  const spread = (fr + rr - fl - rl) / 2 / mean;
  if (Math.abs(steering) < TURN_MIN_STEERING_DEG || mean < TURN_MIN_SPEED_KMH || Math.abs(spread) < TURN_MIN_WHEEL_SPREAD) return endTurn(turns);
  const direction = steering > 0 ? 1 : -1;
  if (direction !== turns.direction) endTurn(turns);
  turns.direction = direction;
  if (Math.sign(spread) === direction) turns.agree++;
  else turns.disagree++;
}

function endTurn(turns: TurnTally): void {
  if (turns.agree + turns.disagree >= TURN_MIN_SAMPLES) {
    if (turns.disagree > turns.agree) turns.turnsDisagreeing++;
    else turns.turnsAgreeing++;
  }
  turns.direction = 0;
  turns.agree = 0;
  turns.disagree = 0;
}
