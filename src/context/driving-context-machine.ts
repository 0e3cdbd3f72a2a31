import { assign, setup } from 'xstate';
import { DocumentError, type DocumentProblem } from '../common/schema.js';
import type { DrivingFeatures } from './driving-features.js';

export const DRIVING_CONTEXTS = ['parked', 'city', 'highway', 'offroad', 'unknown'] as const;
export type DrivingContextName = (typeof DRIVING_CONTEXTS)[number];

/** One evaluation of the features; the machine's only event. */
export interface SampleEvent {
  type: 'SAMPLE';
  features: DrivingFeatures;
}

export interface DrivingContextState {
  /** Time of the sample that entered the current state: the start of its dwell. */
  enteredAtMs: number;
}

interface Dwell {
  /** Minimum time in the current state before this transition may fire. */
  minDwellMs: number;
}

const dwelt = (context: DrivingContextState, event: SampleEvent, p: Dwell): boolean =>
  event.features.timeMs - context.enteredAtMs >= p.minDwellMs;

/**
 * Guards named in `statecharts/driving-context.json`. Thresholds are their params, so the
 * statechart file holds every number; enter and exit thresholds differ (hysteresis).
 */
const guards = {
  isSignalMissing: ({ event }: { event: SampleEvent }) => event.features.missing.length > 0,
  hasAllSignals: ({ event }: { event: SampleEvent }) => event.features.missing.length === 0,
  isParked: ({ event }: { event: SampleEvent }, p: { parkGear: number; maxSpeedKmh: number; standstillMs: number }) => {
    const f = event.features;
    if (f.speedKmh === null || f.speedKmh > p.maxSpeedKmh) return false;
    return f.gear === p.parkGear || f.standstillMs >= p.standstillMs;
  },
  isMoving: ({ context, event }: { context: DrivingContextState; event: SampleEvent }, p: Dwell & { parkGear: number; minSpeedKmh: number }) => {
    const f = event.features;
    return f.gear !== null && f.gear !== p.parkGear && f.speedKmh !== null && f.speedKmh >= p.minSpeedKmh && dwelt(context, event, p);
  },
  isSpeedAbove: ({ context, event }: { context: DrivingContextState; event: SampleEvent }, p: Dwell & { kmh: number }) =>
    event.features.speedKmh !== null && event.features.speedKmh > p.kmh && dwelt(context, event, p),
  isSpeedBelow: ({ context, event }: { context: DrivingContextState; event: SampleEvent }, p: Dwell & { kmh: number }) =>
    event.features.speedKmh !== null && event.features.speedKmh < p.kmh && dwelt(context, event, p),
  isRoughRoad: ({ context, event }: { context: DrivingContextState; event: SampleEvent }, p: Dwell & { verticalRmsAbove: number; maxSpeedKmh: number }) => {
    const f = event.features;
    return f.verticalRms !== null && f.verticalRms > p.verticalRmsAbove && f.speedKmh !== null && f.speedKmh <= p.maxSpeedKmh && dwelt(context, event, p);
  },
  isSmoothRoad: ({ context, event }: { context: DrivingContextState; event: SampleEvent }, p: Dwell & { verticalRmsBelow: number }) =>
    event.features.verticalRms !== null && event.features.verticalRms < p.verticalRmsBelow && dwelt(context, event, p),
};

const drivingContextSetup = setup({
  types: { context: {} as DrivingContextState, events: {} as SampleEvent },
  guards,
  actions: {
    // The machine's initial entry runs on xstate's init event, which carries no features.
    recordEntry: assign({ enteredAtMs: ({ event }) => (event as Partial<SampleEvent>).features?.timeMs ?? 0 }),
  },
});
const ACTION_NAMES = ['recordEntry'];

type DrivingContextConfig = Parameters<typeof drivingContextSetup.createMachine>[0];
export type DrivingContextMachine = ReturnType<typeof createDrivingContextMachine>;

/**
 * Builds the machine from its JSON definition after checking that it has exactly the
 * five contexts and names only guards and actions implemented here.
 */
export function createDrivingContextMachine(definition: unknown, file: string) {
  const problems = checkDefinition(definition, file);
  if (problems.length > 0) throw new DocumentError(problems);
  return drivingContextSetup.createMachine(definition as DrivingContextConfig);
}

function checkDefinition(definition: unknown, file: string): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const states = (definition as { states?: Record<string, unknown> } | null)?.states;
  if (typeof states !== 'object' || states === null) return [{ file, path: '/states', message: 'is required' }];
  for (const name of DRIVING_CONTEXTS) if (!(name in states)) problems.push({ file, path: `/states/${name}`, message: 'is required' });
  for (const [name, node] of Object.entries(states)) {
    if (!(DRIVING_CONTEXTS as readonly string[]).includes(name)) problems.push({ file, path: `/states/${name}`, message: `is not a driving context (${DRIVING_CONTEXTS.join(', ')})` });
    walkNames(node, `/states/${name}`, file, problems);
  }
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
