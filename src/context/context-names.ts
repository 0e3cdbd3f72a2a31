/** The regions of the context statechart and the states of each. */
export const DRIVING_CONTEXTS = ['parked', 'city', 'highway', 'offroad', 'unknown'] as const;
export const WORKLOAD_LEVELS = ['idle', 'normal', 'pressured'] as const;
export const IO_PATTERNS = ['quiet', 'interactive', 'bulk'] as const;

export type DrivingContextName = (typeof DRIVING_CONTEXTS)[number];
export type WorkloadLevel = (typeof WORKLOAD_LEVELS)[number];
export type IoPattern = (typeof IO_PATTERNS)[number];

/** Where the car and the ECU are now: one state per region. */
export interface ContextState {
  readonly driving: DrivingContextName;
  readonly workload: WorkloadLevel;
  readonly io: IoPattern;
}

export const REGIONS = { driving: DRIVING_CONTEXTS, workload: WORKLOAD_LEVELS, io: IO_PATTERNS } as const;
export type RegionName = keyof typeof REGIONS;
