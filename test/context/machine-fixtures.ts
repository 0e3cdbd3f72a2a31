import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContextMachine } from '../../src/context/context-machine.js';
import type { DrivingFeatures } from '../../src/context/driving-features.js';
import type { InstanceInput } from '../../src/context/instance-features.js';
import type { WorkloadInput } from '../../src/context/workload-features.js';
import { packageRoot } from '../../src/common/package-root.js';

export const STATECHART_FILE = join(packageRoot(), 'statecharts/driving-context.json');

type Transition = { target: string };
type Region = { states: Record<string, { on: Record<string, Transition[]> }> };
export const statechart = JSON.parse(readFileSync(STATECHART_FILE, 'utf8')) as { states: Record<string, Region> };
export const machine = createContextMachine(statechart, STATECHART_FILE);

const base: Omit<DrivingFeatures, 'timeMs'> = { speedKmh: 0, gear: 126, verticalRms: 0.05, wheelSlip: 0.01, steeringActivity: 2, standstillMs: 0, stopsPerMinute: 0, missing: [], requiredPresentMs: 60_000, degraded: [] };

/** Representative driving samples, one per situation the statechart distinguishes. */
export const SITUATIONS = {
  parkedInP: base,
  signalsMissing: { ...base, speedKmh: null, gear: null, verticalRms: null, wheelSlip: null, missing: ['Vehicle.Speed'], requiredPresentMs: 0 },
  cityDriving: { ...base, speedKmh: 40, gear: 3 },
  waitingAtLight: { ...base, speedKmh: 0, gear: 1, standstillMs: 10_000 },
  longStandstill: { ...base, speedKmh: 0, gear: 0, standstillMs: 180_000 },
  ruralRoad: { ...base, speedKmh: 75, gear: 5 },
  highwayCruise: { ...base, speedKmh: 115, gear: 6, verticalRms: 0.1 },
  roughTrack: { ...base, speedKmh: 25, gear: 2, verticalRms: 3 },
  slipperyTrack: { ...base, speedKmh: 20, gear: 2, verticalRms: 0.3, wheelSlip: 0.2 },
} satisfies Record<string, Omit<DrivingFeatures, 'timeMs'>>;

const quiet = { disk: { readBytesPerS: 1000, writeBytesPerS: 1000, requestsPerS: 2, meanRequestBytes: 1000 }, net: { rxBytesPerS: 0, txBytesPerS: 0, packetsPerS: 0, meanPacketBytes: 0 } };

/** Representative workload samples. */
export const LOADS = {
  calm: { cpuPressure: 0.5, memoryPressure: 0, ioPressure: 0, ...quiet },
  busy: { cpuPressure: 12, memoryPressure: 3, ioPressure: 1, ...quiet },
  stalled: { cpuPressure: 40, memoryPressure: 5, ioPressure: 2, ...quiet },
  bulkTransfer: { cpuPressure: 12, memoryPressure: 3, ioPressure: 1, disk: { readBytesPerS: 50e6, writeBytesPerS: 0, requestsPerS: 200, meanRequestBytes: 250e3 }, net: null },
  chatty: { cpuPressure: 12, memoryPressure: 3, ioPressure: 1, disk: null, net: { rxBytesPerS: 300e3, txBytesPerS: 100e3, packetsPerS: 800, meanPacketBytes: 500 } },
} satisfies Record<string, Omit<WorkloadInput, 'timeMs'>>;

const fresh = { stale: false, role: 'cockpit', updated: '2026-01-01T09:00:00.000Z', source: 'dir:/run/host-context' } as const;

/** Representative host instance contexts: the thresholds are 60 % up and 40 % down. */
export const HOSTS = {
  absent: { stale: true, role: null, resources: null, hostPressure: null, updated: null, source: null },
  outdated: { ...fresh, stale: true, resources: 'normal', hostPressure: 10 },
  roomy: { ...fresh, resources: 'normal', hostPressure: 10 },
  silent: { ...fresh, resources: null, hostPressure: null },
  easing: { ...fresh, resources: 'normal', hostPressure: 50 },
  hot: { ...fresh, resources: 'normal', hostPressure: 75 },
  rationed: { ...fresh, resources: 'constrained', hostPressure: 5 },
} satisfies Record<string, Omit<InstanceInput, 'timeMs'>>;

export type Situation = keyof typeof SITUATIONS;
export type Load = keyof typeof LOADS;
export type Host = keyof typeof HOSTS;

export function sample(situation: Situation, timeMs: number) {
  return { type: 'SAMPLE' as const, features: { ...SITUATIONS[situation], timeMs } };
}

export function load(name: Load, timeMs: number) {
  return { type: 'WORKLOAD' as const, workload: { ...LOADS[name], timeMs } };
}

export function host(name: Host, timeMs: number) {
  return { type: 'INSTANCE' as const, instance: { ...HOSTS[name], timeMs } };
}

/** Every transition the statechart file declares, as `region: from → to`. */
export function declaredTransitions(): string[] {
  const out: string[] = [];
  for (const [region, r] of Object.entries(statechart.states)) {
    for (const [from, node] of Object.entries(r.states)) for (const list of Object.values(node.on)) for (const tr of list) out.push(`${region}: ${from} → ${tr.target}`);
  }
  return out.sort();
}
