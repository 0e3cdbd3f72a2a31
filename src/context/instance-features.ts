/** What the host says an instance runs: the kinds the policy may name in `when.role`. */
export const INSTANCE_ROLES = ['cockpit', 'adas', 'gateway', 'batch'] as const;
export type InstanceRole = (typeof INSTANCE_ROLES)[number];

/** How the host rates the instance's share of the machine. */
export const INSTANCE_RESOURCES = ['normal', 'constrained'] as const;
export type InstanceResources = (typeof INSTANCE_RESOURCES)[number];

/**
 * What the instance region of the statechart reads: the host's instance context as the
 * shared namespace last delivered it. `stale` is set when there is none, or when it is
 * older than allowed; then everything else is ignored.
 */
export interface InstanceInput {
  /** Pipeline time when it was fed. */
  readonly timeMs: number;
  readonly stale: boolean;
  readonly role: InstanceRole | null;
  readonly resources: InstanceResources | null;
  /** 0–100: the host's own pressure (PSI avg10 of the busiest resource), null when the host does not say. */
  readonly hostPressure: number | null;
  /** When the host wrote it (ISO), null when there is none. */
  readonly updated: string | null;
  /** Where it came from: `dir:<path>` or `mqtt:<topic>`, null when there is none. */
  readonly source: string | null;
}
