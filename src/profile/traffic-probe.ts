/** Counters of a driver's receive path since it loaded, as `ethtool -S` shows them for pvnic. */
export interface TrafficCounters {
  readonly rxPackets: number;
  readonly rxInterrupts: number;
  readonly rxDropped: number;
  /** Sum over received packets of the time each waited, wake-up included. */
  readonly rxLatencyNs: number;
}

/** Counters and the time they were read at, on the sweep's clock. */
export interface CounterReading {
  readonly atMs: number;
  readonly counters: TrafficCounters;
}

/**
 * Puts load on one resource of a driver and reads its counters. The real one drives pvnic
 * through debugfs and ethtool; the simulated one is the same physics on a simulated clock.
 */
export interface TrafficProbe {
  /** Readies the resource for load (brings the interface up); remembers what it changes. */
  start(): Promise<void>;
  /** Sets the receive rate from now on. */
  setLoad(packetsPerSecond: number): Promise<void>;
  read(): Promise<CounterReading>;
  /** Puts back the load and link state start() found. */
  stop(): Promise<void>;
}
