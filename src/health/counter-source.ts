/**
 * Where the post-switch health watch reads a driver's counters: cumulative values (packets,
 * drops, errors …) summed over the resources of a target. The watch turns them into rates.
 */
export interface CounterSource {
  /** The counters now, or undefined when this driver's resources have none to read. */
  read(driverId: string, resources: readonly string[]): Record<string, number> | undefined;
}
