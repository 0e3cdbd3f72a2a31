import type { ParameterValue, ParameterValues } from '../manifests/personality.js';

/**
 * How a change reaches the device: at once (`runtime`), by quiescing and restarting the
 * queues (`disruptive`), or by reloading the driver (`reload`).
 */
export type ApplyClass = 'runtime' | 'disruptive' | 'reload';

/** What a driver accepts for one parameter, as the driver (or its simulation) declares it. */
export type ParameterSpec = { applyClass: ApplyClass } & (
  | { type: 'integer'; unit: 'ns' | 'B' | ''; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'set'; values: readonly string[] }
);

export interface DriverInfo {
  readonly id: string;
  readonly version: string;
  /** Devices the driver drives (`pvnic0`, …). */
  readonly resources: readonly string[];
  readonly parameters: Readonly<Record<string, ParameterSpec>>;
}

export interface ParameterChange {
  /** The device it changed on (`pvnic0`). */
  readonly resource: string;
  readonly name: string;
  readonly from: ParameterValue | undefined;
  readonly to: ParameterValue;
}

export interface ApplyResult {
  readonly driverId: string;
  /** Only the parameters whose value actually changed. */
  readonly changes: readonly ParameterChange[];
  /** Increases by one with every successful apply that changed something. */
  readonly generation: number;
  readonly durationMs: number;
}

export type BackendKind = 'simulated' | 'kmod' | 'sysfs' | 'ethtool';

/** Thrown when an apply is refused; nothing was changed. */
export class BackendError extends Error {
  constructor(
    readonly code: 'E_DRIVER' | 'E_RESOURCE' | 'E_PARAMETER' | 'E_RANGE',
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/**
 * Thrown when an apply failed and putting the earlier values back failed too, which only a
 * userspace backend can meet: the driver is left partly changed, as `unrestored` lists.
 */
export class PartialApplyError extends Error {
  readonly code = 'E_PARTIAL';
  constructor(
    readonly path: string,
    message: string,
    /** Each parameter left changed: its name, where it lives and why it could not be restored. */
    readonly unrestored: readonly string[],
  ) {
    super(`${path}: ${message}`);
  }
}

/** Values changed behind persona's back (ethtool, another tool). */
export interface Drift {
  readonly driverId: string;
  readonly resources: readonly string[];
  readonly parameters: readonly string[];
  readonly generation: number;
}

/** Where parameters meet drivers: the kernel module, sysfs, or a simulation. */
export interface DriverBackend {
  readonly kind: BackendKind;
  drivers(): readonly DriverInfo[];
  /** Current values of every parameter of one of a driver's resources (its first by default). */
  read(driverId: string, resource?: string): ParameterValues;
  /**
   * Applies the values to the given resources of a driver (all of them by default), all or
   * nothing: every value and resource is checked before anything is written.
   */
  apply(driverId: string, values: ParameterValues, resources?: readonly string[]): Promise<ApplyResult>;
  /** Calls `listener` for every drift; returns the function that unsubscribes. */
  onDrift(listener: (drift: Drift) => void): () => void;
  /** Waits for applies in flight and releases the device. */
  stop(): Promise<void>;
}
