/** The regions of the context statechart and the states of each. */
export const DRIVING_CONTEXTS = ['parked', 'city', 'highway', 'offroad', 'unknown'] as const;
export const WORKLOAD_LEVELS = ['idle', 'normal', 'pressured'] as const;
export const IO_PATTERNS = ['quiet', 'interactive', 'bulk'] as const;
export const INSTANCE_STATES = ['unknown', 'normal', 'constrained'] as const;

export type DrivingContextName = (typeof DRIVING_CONTEXTS)[number];
export type WorkloadLevel = (typeof WORKLOAD_LEVELS)[number];
export type IoPattern = (typeof IO_PATTERNS)[number];
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** Where the car and the ECU are now, and how the host rates this instance: one state per region. */
export interface ContextState {
  readonly driving: DrivingContextName;
  readonly workload: WorkloadLevel;
  readonly io: IoPattern;
  readonly instance: InstanceState;
}

export const REGIONS = { driving: DRIVING_CONTEXTS, workload: WORKLOAD_LEVELS, io: IO_PATTERNS, instance: INSTANCE_STATES } as const;
export type RegionName = keyof typeof REGIONS;
