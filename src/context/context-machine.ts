import { assign, setup } from 'xstate';
import { DocumentError, type DocumentProblem } from '../common/schema.js';
import { REGIONS, type RegionName } from './context-names.js';
import { VERTICAL_ACCELERATION, WHEEL_SPEEDS, type DrivingFeatures } from './driving-features.js';
import type { InstanceInput } from './instance-features.js';
import { ioTraffic, peakPressure, type WorkloadInput } from './workload-features.js';

/** One evaluation of the driving features. */
export interface SampleEvent {
  type: 'SAMPLE';
  features: DrivingFeatures;
}

/** One sample of the ECU's own load. */
export interface WorkloadEvent {
  type: 'WORKLOAD';
  workload: WorkloadInput;
}

/** The host's instance context, as last delivered. */
export interface InstanceEvent {
  type: 'INSTANCE';
  instance: InstanceInput;
}

export type ContextEvent = SampleEvent | WorkloadEvent | InstanceEvent;

/** When each region entered its current state: the start of its dwell. */
export interface ContextMachineState {
  drivingSinceMs: number;
  workloadSinceMs: number;
  ioSinceMs: number;
  instanceSinceMs: number;
}

interface Dwell {
  /** Minimum time in the current state before this transition may fire. */
  minDwellMs: number;
}

type Args = { context: ContextMachineState; event: ContextEvent };

/** The features of a SAMPLE event, or undefined for any other event (which then never matches). */
const driving = (event: ContextEvent): DrivingFeatures | undefined => (event.type === 'SAMPLE' ? event.features : undefined);
const workload = (event: ContextEvent): WorkloadInput | undefined => (event.type === 'WORKLOAD' ? event.workload : undefined);
const instance = (event: ContextEvent): InstanceInput | undefined => (event.type === 'INSTANCE' ? event.instance : undefined);
const dwelt = (sinceMs: number, timeMs: number, p: Partial<Dwell>): boolean => timeMs - sinceMs >= (p.minDwellMs ?? 0);

/**
 * Guards named in `statecharts/driving-context.json`. Thresholds are their params, so the
 * statechart file holds every number; entry and exit thresholds differ (hysteresis), and
 * each region measures its dwell in the time of its own events.
 */
const guards = {
  isSignalMissing: ({ event }: Args) => (driving(event)?.missing.length ?? 0) > 0,
  /**
   * Out of unknown: the required signals are present, and so is every optional one the
   * vehicle maps, or the required ones have been present long enough for the optional ones
   * to have come (a real bus may send the gear once a second): a car standing in P at
   * start-up goes to parked, and a rough track to offroad, not through city first.
   */
  isSettled: ({ event }: Args, p: { minPresentMs: number }) => {
    const f = driving(event);
    if (!f || f.missing.length > 0) return false;
    return f.degraded.length === 0 || f.requiredPresentMs >= p.minPresentMs;
  },
  isParked: ({ event }: Args, p: { parkGear: number; maxSpeedKmh: number; standstillMs: number }) => {
    const f = driving(event);
    if (!f || f.speedKmh === null || f.speedKmh > p.maxSpeedKmh) return false;
    return f.gear === p.parkGear || f.standstillMs >= p.standstillMs;
  },
  isMoving: ({ context, event }: Args, p: Dwell & { parkGear: number; minSpeedKmh: number }) => {
    const f = driving(event);
    // The gear is optional: unknown, the speed alone says the car is moving.
    return !!f && f.gear !== p.parkGear && f.speedKmh !== null && f.speedKmh >= p.minSpeedKmh && dwelt(context.drivingSinceMs, f.timeMs, p);
  },
  isSpeedAbove: ({ context, event }: Args, p: Dwell & { kmh: number }) => {
    const f = driving(event);
    return !!f && f.speedKmh !== null && f.speedKmh > p.kmh && dwelt(context.drivingSinceMs, f.timeMs, p);
  },
  isSpeedAtMost: ({ context, event }: Args, p: Dwell & { kmh: number }) => {
    const f = driving(event);
    return !!f && f.speedKmh !== null && f.speedKmh <= p.kmh && dwelt(context.drivingSinceMs, f.timeMs, p);
  },
  /** Rough: sustained vertical RMS, or wheels turning at different speeds (slip), at low speed. */
  isRoughRoad: ({ context, event }: Args, p: Dwell & { verticalRmsAbove: number; wheelSlipAbove: number; maxSpeedKmh: number }) => {
    const f = driving(event);
    if (!f || f.speedKmh === null || f.speedKmh > p.maxSpeedKmh || !dwelt(context.drivingSinceMs, f.timeMs, p)) return false;
    return (f.verticalRms !== null && f.verticalRms > p.verticalRmsAbove) || (f.wheelSlip !== null && f.wheelSlip > p.wheelSlipAbove);
  },
  /**
   * Smooth: the road signals are below their thresholds. One that went stale is no evidence of
   * a smooth road, and what is left cannot tell a track from a road; driving faster than the
   * rough-road band allows can, so with a stale road signal the car leaves offroad above
   * `staleAboveKmh`.
   */
  isSmoothRoad: ({ context, event }: Args, p: Dwell & { verticalRmsBelow: number; wheelSlipBelow: number; staleAboveKmh: number }) => {
    const f = driving(event);
    if (!f || !dwelt(context.drivingSinceMs, f.timeMs, p)) return false;
    // A road signal the vehicle lacks says nothing either way.
    const verticalStale = f.verticalRms === null && f.degraded.includes(VERTICAL_ACCELERATION);
    const slipStale = f.wheelSlip === null && WHEEL_SPEEDS.some((name) => f.degraded.includes(name));
    const verticalSmooth = f.verticalRms === null || f.verticalRms < p.verticalRmsBelow;
    const slipSmooth = f.wheelSlip === null || f.wheelSlip < p.wheelSlipBelow;
    if (!verticalSmooth || !slipSmooth) return false;
    return (!verticalStale && !slipStale) || (f.speedKmh !== null && f.speedKmh > p.staleAboveKmh);
  },
  isPressureAbove: ({ context, event }: Args, p: Dwell & { percent: number }) => {
    const w = workload(event);
    return !!w && peakPressure(w) > p.percent && dwelt(context.workloadSinceMs, w.timeMs, p);
  },
  isPressureBelow: ({ context, event }: Args, p: Dwell & { percent: number }) => {
    const w = workload(event);
    return !!w && peakPressure(w) < p.percent && dwelt(context.workloadSinceMs, w.timeMs, p);
  },
  /** Large transfers: many bytes per second in large requests. */
  isBulkIo: ({ context, event }: Args, p: Dwell & { bytesPerSAbove: number; meanBytesAbove: number }) => {
    const w = workload(event);
    if (!w || !dwelt(context.ioSinceMs, w.timeMs, p)) return false;
    const io = ioTraffic(w);
    return io.bytesPerS > p.bytesPerSAbove && io.meanBytes > p.meanBytesAbove;
  },
  /** Many small requests: latency matters more than throughput. */
  isInteractiveIo: ({ context, event }: Args, p: Dwell & { opsPerSAbove: number; meanBytesBelow: number }) => {
    const w = workload(event);
    if (!w || !dwelt(context.ioSinceMs, w.timeMs, p)) return false;
    const io = ioTraffic(w);
    return io.opsPerS > p.opsPerSAbove && io.meanBytes < p.meanBytesBelow;
  },
  isQuietIo: ({ context, event }: Args, p: Dwell & { bytesPerSBelow: number; opsPerSBelow: number }) => {
    const w = workload(event);
    if (!w || !dwelt(context.ioSinceMs, w.timeMs, p)) return false;
    const io = ioTraffic(w);
    return io.bytesPerS < p.bytesPerSBelow && io.opsPerS < p.opsPerSBelow;
  },
  isInstanceStale: ({ event }: Args) => instance(event)?.stale === true,
  isInstanceFresh: ({ event }: Args) => instance(event)?.stale === false,
  /** The host rates the instance's resources constrained, or its own pressure is high; a stale context says nothing. */
  isConstrained: ({ context, event }: Args, p: Dwell & { hostPressureAbove: number }) => {
    const i = instance(event);
    if (!i || i.stale || !dwelt(context.instanceSinceMs, i.timeMs, p)) return false;
    return i.resources === 'constrained' || (i.hostPressure !== null && i.hostPressure > p.hostPressureAbove);
  },
  /** Neither the host's rating nor its pressure says constrained: what the host leaves out (null) does not hold the instance there. */
  isUnconstrained: ({ context, event }: Args, p: Dwell & { hostPressureBelow: number }) => {
    const i = instance(event);
    if (!i || i.stale || !dwelt(context.instanceSinceMs, i.timeMs, p)) return false;
    return i.resources !== 'constrained' && (i.hostPressure === null || i.hostPressure < p.hostPressureBelow);
  },
};

const SINCE_FIELD = { driving: 'drivingSinceMs', workload: 'workloadSinceMs', io: 'ioSinceMs', instance: 'instanceSinceMs' } as const;

/** The time an event carries; xstate's init event, typed as one of ours, carries none. */
function eventTimeMs(event: ContextEvent): number {
  switch (event.type) {
    case 'SAMPLE':
      return event.features.timeMs;
    case 'WORKLOAD':
      return event.workload.timeMs;
    case 'INSTANCE':
      return event.instance.timeMs;
    default:
      return 0;
  }
}

const contextSetup = setup({
  types: { context: {} as ContextMachineState, events: {} as ContextEvent },
  guards,
  actions: {
    // Entry on xstate's init event starts the region's dwell at 0.
    recordEntry: assign(({ event }, params: { region: RegionName }) => ({ [SINCE_FIELD[params.region]]: eventTimeMs(event) })),
  },
});
const ACTION_NAMES = ['recordEntry'];

type ContextConfig = Parameters<typeof contextSetup.createMachine>[0];
export type ContextMachine = ReturnType<typeof createContextMachine>;

/**
 * Builds the machine from its JSON definition after checking that it is parallel, has
 * exactly the regions and states persona knows, and names only guards and actions
 * implemented here.
 */
export function createContextMachine(definition: unknown, file: string) {
  const problems = checkDefinition(definition, file);
  if (problems.length > 0) throw new DocumentError(problems);
  return contextSetup.createMachine(definition as ContextConfig);
}

function checkDefinition(definition: unknown, file: string): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const root = definition as { type?: unknown; states?: Record<string, { states?: Record<string, unknown> }> } | null;
  if (root?.type !== 'parallel') problems.push({ file, path: '/type', message: `must be "parallel" (regions ${Object.keys(REGIONS).join(', ')})` });
  const regions = root?.states;
  if (typeof regions !== 'object' || regions === null) return [...problems, { file, path: '/states', message: 'is required' }];
  for (const [region, names] of Object.entries(REGIONS)) {
    const states = regions[region]?.states;
    if (typeof states !== 'object' || states === null) {
      problems.push({ file, path: `/states/${region}/states`, message: 'is required' });
      continue;
    }
    for (const name of names) if (!(name in states)) problems.push({ file, path: `/states/${region}/states/${name}`, message: 'is required' });
    for (const name of Object.keys(states)) {
      if (!(names as readonly string[]).includes(name)) problems.push({ file, path: `/states/${region}/states/${name}`, message: `is not a state of ${region} (${names.join(', ')})` });
    }
  }
  for (const region of Object.keys(regions)) if (!(region in REGIONS)) problems.push({ file, path: `/states/${region}`, message: `is not a region (${Object.keys(REGIONS).join(', ')})` });
  walkNames(regions, '/states', file, problems);
  return problems;
}

function walkNames(value: unknown, path: string, file: string, problems: DocumentProblem[]): void {
  if (Array.isArray(value)) return value.forEach((v, i) => walkNames(v, `${path}/${i}`, file, problems));
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    const here = `${path}/${key}`;
    const named = typeof child === 'string' ? child : (child as { type?: unknown } | null)?.type;
    if (key === 'guard' && typeof named === 'string' && !(named in guards)) problems.push({ file, path: here, message: `unknown guard "${named}"` });
    else if ((key === 'entry' || key === 'exit' || key === 'actions') && typeof named === 'string' && !ACTION_NAMES.includes(named)) problems.push({ file, path: here, message: `unknown action "${named}"` });
    else walkNames(child, here, file, problems);
  }
}
