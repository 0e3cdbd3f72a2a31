/**
 * The bundled demo drive, condensed for the VM: the same segments in the same order, each only
 * as long as the statechart's dwells and the policy's minimum interval between switches need,
 * with a margin. On SocketCAN the CAN time is the receive time, so a drive cannot be replayed
 * faster than real time: it has to be shorter. condensed-drive.test.ts runs it through the
 * pipeline on the host: the switches the VM test expects, each clear of what would replace it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonDocument } from '../../src/common/schema.js';
import { DEFAULT_REQUIRED_GRACE_MS } from '../../src/context/driving-features.js';
import { ContextPolicy } from '../../src/policy/context-policy.js';
import { parseDriveProfile, type DriveProfile, type DriveSegment } from '../../src/signals/drive-synth.js';

/** What the condensed drive is timed by, in seconds and km/h, as the daemon's statechart and policy say. */
interface DriveRules {
  /** The least time between two switches of a driver. */
  minSwitchS: number;
  /** parked → city: the least time parked. */
  parkedDwellS: number;
  /** city → highway: above this speed, after this long in city. */
  highwayEntry: { kmh: number; dwellS: number };
  /** highway → city: at or below this speed, after this long on the highway. */
  highwayExit: { kmh: number; dwellS: number };
  /** city → offroad: the least time in city. */
  offroadEntryDwellS: number;
}

interface Statechart {
  states: { driving: { states: Record<string, { on: { SAMPLE: Array<{ target: string; guard: string | { type: string; params: Record<string, number> } }> } }> } };
}

/** The guard params of the driving transition `from` → `to`. */
function guardParams(chart: Statechart, from: string, to: string): Record<string, number> {
  const transition = chart.states.driving.states[from]?.on.SAMPLE.find((t) => t.target === to);
  if (transition === undefined || typeof transition.guard === 'string') throw new Error(`the statechart has no driving transition ${from} → ${to} with guard params`);
  return transition.guard.params;
}

function readDriveRules(statechartFile: string, policyFile: string): DriveRules {
  const chart = JSON.parse(readFileSync(statechartFile, 'utf8')) as Statechart;
  const seconds = (ms: number | undefined): number => (ms ?? 0) / 1000;
  const toHighway = guardParams(chart, 'city', 'highway');
  const fromHighway = guardParams(chart, 'highway', 'city');
  return {
    minSwitchS: ContextPolicy.load(policyFile).minSwitchIntervalMs / 1000,
    parkedDwellS: seconds(guardParams(chart, 'parked', 'city').minDwellMs),
    highwayEntry: { kmh: toHighway.kmh!, dwellS: seconds(toHighway.minDwellMs) },
    highwayExit: { kmh: fromHighway.kmh!, dwellS: seconds(fromHighway.minDwellMs) },
    offroadEntryDwellS: seconds(guardParams(chart, 'city', 'offroad').minDwellMs),
  };
}

/**
 * The maximum age of every signal of the test's vehicle, instead of 60 ms: under TCG on a busy
 * machine the guest can stall for longer than a real bus ever pauses, and the drive is under test
 * here; the 60 ms default is tested on the host (test/daemon/scenarios.test.ts).
 */
export const SIGNAL_MAX_AGE_MS = 3000;
/**
 * The longest stall of the guest under TCG the drive is built to survive: canplayer stalled for
 * longer leaves the speed stale (the maximum age, and the grace of required signals) and fails the
 * drive anyway.
 */
export const STALL_S = (SIGNAL_MAX_AGE_MS + DEFAULT_REQUIRED_GRACE_MS) / 1000;
/** The smoothed speed (time constant 0.5 s) reads a stop from city speed, ≤ 1 km/h from 48, within 0.5 s × ln 48 ≈ 2 s. */
const SMOOTHING_S = 2;
const MARGIN_S = STALL_S + SMOOTHING_S;
/** Every change of speed takes this long; the thresholds are passed within. */
const RAMP_S = 3;
/**
 * From the end of the gravel to a road the statechart calls smooth: the vertical acceleration's
 * mean square (time constant 2 s) falls from the gravel's to below the threshold in about 5 s.
 */
const ROAD_SETTLE_S = 6;
/** After the last switch: the test sees it and reads the driver before the bus falls silent. */
const READ_S = 8;

/**
 * The demo drive with each segment as short as `rules` allow. Every switch either follows its
 * context change at once, a margin after the interval since the switch before has passed, or
 * waits out that interval (deferred) while its context holds beyond it by a margin, as the
 * offroad and the last parked switch do on the road too.
 */
function condenseDrive(demo: DriveProfile, rules: DriveRules): DriveProfile {
  const interval = rules.minSwitchS;
  const find = (label: string): DriveSegment => {
    const segment = demo.segments.find((s) => s.label === label);
    if (segment === undefined) throw new Error(`the demo drive has no segment "${label}"`);
    return segment;
  };
  /** How far into a ramp its speed passes `kmh`, from 0 to 1. */
  const fraction = (label: string, kmh: number): number => {
    const [from, to] = find(label).speedKmh;
    return (kmh - from) / (to - from);
  };
  /** Seconds into a ramp of `rampS` at which its speed passes `kmh`. */
  const passes = (label: string, kmh: number, rampS = RAMP_S): number => rampS * fraction(label, kmh);
  // The exit ends in the gravel: it lasts long enough for the car to leave the highway band a stall before the gravel begins.
  const exitS = Math.max(RAMP_S, STALL_S / (1 - fraction('exit', rules.highwayExit.kmh)));
  const seconds = new Map<string, number>();
  const elapsed = (): number => [...seconds.values()].reduce((sum, s) => sum + s, 0);

  // Parked at the start, switched at once; left once its dwell is over, and a margin.
  seconds.set('parked, engine on', rules.parkedDwellS + MARGIN_S);
  const cityEnteredAt = elapsed();
  seconds.set('pull out', RAMP_S);
  // The city switch waits out the interval after the parked one; the car moves on a margin beyond, so the ring size waits.
  seconds.set('city street', Math.max(MARGIN_S, interval + MARGIN_S - elapsed()));
  seconds.set('brake for a light', RAMP_S);
  const stopAt = elapsed();
  // The first sample at a standstill applies the ring size (completing a switch waits for no interval).
  seconds.set('wait at the light', MARGIN_S);
  // The highway switch follows its context at once: the interval after the standstill switch, and a margin.
  const highwayAt = Math.max(stopAt + interval, cityEnteredAt + rules.highwayEntry.dwellS) + MARGIN_S;
  seconds.set('city again', highwayAt - elapsed() - passes('on-ramp', rules.highwayEntry.kmh));
  seconds.set('on-ramp', RAMP_S);
  // So does the city switch after the highway: the highway holds for the interval (and its dwell), and a margin.
  const cityAt = highwayAt + Math.max(interval, rules.highwayExit.dwellS) + MARGIN_S;
  seconds.set('motorway', cityAt - elapsed() - passes('exit', rules.highwayExit.kmh, exitS));
  seconds.set('exit', exitS);
  // Offroad once the city dwell is over; its switch waits out the interval after the city one, and the track lasts a margin beyond.
  const offroadSwitchAt = cityAt + Math.max(interval, rules.offroadEntryDwellS);
  seconds.set('gravel track', offroadSwitchAt + MARGIN_S - elapsed());
  // Smooth again, city once the road's roughness has decayed; its switch waits out the interval if it has to, and lands a margin before the car stops.
  const citySwitchAt = Math.max(offroadSwitchAt + interval, offroadSwitchAt + MARGIN_S + ROAD_SETTLE_S);
  seconds.set('leave the track', citySwitchAt + MARGIN_S - elapsed() - RAMP_S);
  seconds.set('roll to a stop', RAMP_S);
  // Parked: its switch waits out the interval after the city one; then the test reads it.
  seconds.set('parked', citySwitchAt + interval + READ_S - elapsed());

  if (seconds.size !== demo.segments.length) throw new Error(`the demo drive has ${demo.segments.length} segments; ${seconds.size} are condensed`);
  const condensed = { ...demo, segments: demo.segments.map((s) => ({ ...s, seconds: Math.round(seconds.get(s.label)! * 10) / 10 })) };
  return parseDriveProfile(condensed, 'the condensed demo drive');
}

/** vehicles/demo/drive-profile.json condensed to the statechart and the policy under `root`, as the daemon reads them there. */
export function condensedDemoDrive(root: string): DriveProfile {
  const file = join(root, 'vehicles/demo/drive-profile.json');
  const demo = parseDriveProfile(readJsonDocument(file, (f) => readFileSync(f, 'utf8')), file);
  return condenseDrive(demo, readDriveRules(join(root, 'statecharts/driving-context.json'), join(root, 'manifests/policy.json')));
}
