import { readFileSync } from 'node:fs';
import { createDrivingContextMachine } from '../../src/context/driving-context-machine.js';
import type { DrivingFeatures } from '../../src/context/driving-features.js';

export const STATECHART_FILE = new URL('../../statecharts/driving-context.json', import.meta.url).pathname;
export const statechart = JSON.parse(readFileSync(STATECHART_FILE, 'utf8')) as { states: Record<string, { on: { SAMPLE: Array<{ target: string }> } }> };
export const machine = createDrivingContextMachine(statechart, STATECHART_FILE);

const base: Omit<DrivingFeatures, 'timeMs'> = { speedKmh: 0, gear: 126, verticalRms: 0.05, standstillMs: 0, missing: [] };

/** Representative feature samples, one per situation the statechart distinguishes. */
export const SITUATIONS: Record<string, Omit<DrivingFeatures, 'timeMs'>> = {
  parkedInP: base,
  signalsMissing: { ...base, speedKmh: null, gear: null, verticalRms: null, missing: ['Vehicle.Speed', 'Vehicle.Powertrain.Transmission.CurrentGear', 'Vehicle.Acceleration.Vertical'] },
  cityDriving: { ...base, speedKmh: 40, gear: 3 },
  waitingAtLight: { ...base, speedKmh: 0, gear: 1, standstillMs: 10_000 },
  longStandstill: { ...base, speedKmh: 0, gear: 0, standstillMs: 180_000 },
  inHysteresisBand: { ...base, speedKmh: 85, gear: 5 },
  highwayCruise: { ...base, speedKmh: 115, gear: 6, verticalRms: 0.1 },
  roughTrack: { ...base, speedKmh: 25, gear: 2, verticalRms: 3 },
};

export function sample(situation: keyof typeof SITUATIONS, timeMs: number): { type: 'SAMPLE'; features: DrivingFeatures } {
  return { type: 'SAMPLE', features: { ...SITUATIONS[situation]!, timeMs } };
}
