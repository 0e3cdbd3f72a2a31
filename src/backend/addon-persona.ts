import { loadNativeAddon } from '../common/native-addon.js';

/** The kernel's enums as the addon names them (kmod/include/uapi/linux/persona.h). */
export type KernelParamType = 'integer' | 'enum' | 'set';
export type KernelUnit = 'ns' | 'B' | '';
export type KernelApplyClass = 'runtime' | 'disruptive' | 'reload';
export type KernelEventType = 'applied' | 'drift' | 'driver-added' | 'driver-removed' | 'overflow';

export interface KernelVersion {
  readonly major: number;
  readonly minor: number;
  readonly maxParams: number;
  readonly maxMembers: number;
  readonly maxResources: number;
}

export interface KernelDriver {
  readonly id: number;
  readonly name: string;
  readonly version: string;
  readonly generation: bigint;
  readonly numParams: number;
  readonly numResources: number;
}

export interface KernelParam {
  readonly name: string;
  readonly type: KernelParamType;
  readonly unit: KernelUnit;
  readonly applyClass: KernelApplyClass;
  /** Integers: the limits. Enums: 0 and the last index. Sets: 0 and the mask of all members. */
  readonly min: bigint;
  readonly max: bigint;
  readonly members: readonly string[];
}

export interface KernelDescription {
  readonly params: readonly KernelParam[];
  readonly resources: readonly string[];
}

export interface KernelValues {
  readonly generation: bigint;
  /** Indexed by parameter. */
  readonly values: readonly bigint[];
}

export interface KernelApplied {
  readonly generation: bigint;
  /** Bit i: parameter i changed. */
  readonly changed: bigint;
}

export interface KernelEvent {
  readonly type: KernelEventType;
  readonly driverId: number;
  readonly generation: bigint;
  /** Bit i: parameter i changed. */
  readonly params: bigint;
  /** Bit i: resource i changed. */
  readonly resources: bigint;
  readonly timestampNs: bigint;
  /** Applied through this open file. */
  readonly own: boolean;
}

/**
 * What the addon throws or rejects with: `code` is the errno name. Applies add `index` (the
 * entry the kernel blamed), `resource` (the resource it failed on), `rolledBack`,
 * `rollbackFailed` and the driver's `generation`.
 */
export interface KernelError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly index?: number;
  readonly resource?: number;
  readonly rolledBack?: boolean;
  readonly rollbackFailed?: boolean;
  readonly generation?: bigint;
}

/** An open /dev/persona. Opening throws a KernelError (ENOENT when the module is not loaded). */
export interface PersonaDevice {
  version(): KernelVersion;
  list(): KernelDriver[];
  describe(driverId: number): KernelDescription;
  /** The values of one resource, by its index in the driver's list. */
  read(driverId: number, resource: number): KernelValues;
  /**
   * Applies to the resources whose bits `resources` sets, off the main thread;
   * `expectedGeneration` makes a concurrent change fail it with ESTALE.
   */
  apply(driverId: number, entries: ReadonlyArray<readonly [param: number, value: bigint]>, resources: bigint, expectedGeneration?: bigint): Promise<KernelApplied>;
  /** Calls back on the main thread with every batch of events, until close(). One watcher per device. */
  watch(callback: (error: KernelError | null, events?: KernelEvent[]) => void): void;
  /** Idempotent; applies in flight finish first. */
  close(): void;
}

interface PersonaAddon {
  Device: new (path: string) => PersonaDevice;
}


/** Opens a persona device; throws when the addon is not built or the device cannot be opened. */
export function openPersonaDevice(path: string): PersonaDevice {
  const addon = loadNativeAddon<PersonaAddon>();
  return new addon.Device(path);
}

export function isKernelError(err: unknown): err is KernelError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { errno?: unknown }).errno === 'number';
}
