import type { ParameterValues } from '../manifests/personality.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { BackendError, type ApplyResult, type DriverBackend, type DriverInfo, type ParameterChange, type ParameterSpec } from './driver-backend.js';
import type { Drift } from './driver-backend.js';
import { checkParameter, sameValue } from './parameter-check.js';
import { isKernelError, openPersonaDevice, type KernelEvent, type KernelParam, type PersonaDevice } from './addon-persona.js';
import { decodeValue, encodeValue, specOf } from './kmod-codec.js';
import { kmodApplyError } from './kmod-error.js';
import { SerialQueue } from './serial-queue.js';

export interface KmodBackendOptions {
  /** Default /dev/persona. */
  devicePath?: string;
  logger?: Logger;
}

interface KmodParameter {
  readonly index: number;
  readonly kernel: KernelParam;
  readonly spec: ParameterSpec;
}

interface KmodDriver {
  readonly id: number;
  readonly info: DriverInfo;
  /** In the driver's order. */
  readonly params: readonly KmodParameter[];
}

/** A concurrent change makes the kernel refuse an apply (ESTALE); it is recomputed this often. */
const MAX_ATTEMPTS = 3;

/**
 * Drivers registered with persona.ko, through /dev/persona and the native addon. Applies run
 * one at a time, each against the generation it read its "from" values at, so the reported
 * changes are exact; the kernel makes them all-or-nothing. Changes made by others arrive as
 * drift (onDrift). Opening throws the addon's error, with `code` ENOENT when persona.ko is not
 * loaded and EACCES when the user is not in its group.
 */
export class KmodBackend implements DriverBackend {
  readonly kind = 'kmod' as const;
  private readonly byName = new Map<string, KmodDriver>();
  private readonly byId = new Map<number, KmodDriver>();
  private readonly driftListeners = new Set<(drift: Drift) => void>();
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly device: PersonaDevice,
    private readonly logger: Logger,
  ) {
    this.loadDrivers();
    device.watch((error, events) => {
      if (error) this.logger.error(`events of /dev/persona stopped: ${error.message}`);
      for (const event of events ?? []) {
        // A failure here would otherwise surface as an uncaught exception from the addon.
        try {
          this.onEvent(event);
        } catch (err) {
          this.logger.error(`${event.type} event of driver ${event.driverId}: ${(err as Error).message}`);
        }
      }
    });
  }

  static open(options: KmodBackendOptions = {}): KmodBackend {
    const device = openPersonaDevice(options.devicePath ?? '/dev/persona');
    try {
      return new KmodBackend(device, options.logger ?? silentLogger);
    } catch (err) {
      device.close();
      throw err;
    }
  }

  drivers(): DriverInfo[] {
    return [...this.byName.values()].map((d) => d.info);
  }

  read(driverId: string, resource?: string): ParameterValues {
    const driver = this.driver(driverId);
    return this.decode(driver, this.readKernel(driver, this.resourceIndex(driver, resource ?? driver.info.resources[0] ?? '')).values);
  }

  apply(driverId: string, values: ParameterValues, resources?: readonly string[]): Promise<ApplyResult> {
    return this.queue.run(() => this.applyNow(driverId, values, resources));
  }

  /** Calls `listener` for every change made outside this backend; returns the unsubscribe function. */
  onDrift(listener: (drift: Drift) => void): () => void {
    this.driftListeners.add(listener);
    return () => this.driftListeners.delete(listener);
  }

  /** Waits for applies in flight, then closes /dev/persona. */
  async stop(): Promise<void> {
    await this.queue.idle();
    this.device.close();
  }

  private async applyNow(driverId: string, values: ParameterValues, resources?: readonly string[]): Promise<ApplyResult> {
    const started = performance.now();
    const driver = this.driver(driverId);
    const targets = (resources ?? driver.info.resources).map((name) => ({ name, index: this.resourceIndex(driver, name) }));
    const entries = Object.entries(values).map(([name, value]) => {
      const param = driver.params.find((p) => p.kernel.name === name);
      checkParameter(param?.spec, value, `${driverId}/${name}`);
      return { param: param!, value };
    });
    const encoded = entries.map(({ param, value }) => [param.index, encodeValue(param.kernel, value)] as const);
    const mask = targets.reduce((m, t) => m | (1n << BigInt(t.index)), 0n);
    for (let attempt = 1; ; attempt++) {
      const before = targets.map((t) => ({ resource: t.name, read: this.readKernel(driver, t.index) }));
      const generation = before[0]?.read.generation ?? 0n;
      if (before.some((b) => b.read.generation !== generation) && attempt < MAX_ATTEMPTS) continue;
      try {
        const applied = await this.device.apply(driver.id, encoded, mask, generation);
        // The kernel checked the generation these values were read at, so the difference is exact.
        const changes: ParameterChange[] = before.flatMap(({ resource, read }) =>
          entries
            .map(({ param, value }) => ({ resource, name: param.kernel.name, from: decodeValue(param.kernel, read.values[param.index] ?? 0n), to: value }))
            .filter((c) => !sameValue(c.from, c.to)),
        );
        return { driverId, changes, generation: Number(applied.generation), durationMs: performance.now() - started };
      } catch (err) {
        if (isKernelError(err) && err.code === 'ESTALE' && attempt < MAX_ATTEMPTS) continue;
        throw kmodApplyError(err, driverId, entries.map(({ param }) => param.kernel.name));
      }
    }
  }

  private driver(driverId: string): KmodDriver {
    const driver = this.byName.get(driverId);
    if (!driver) throw new BackendError('E_DRIVER', driverId, 'no such driver');
    return driver;
  }

  private resourceIndex(driver: KmodDriver, resource: string): number {
    const index = driver.info.resources.indexOf(resource);
    if (index < 0) throw new BackendError('E_RESOURCE', `${driver.info.id}/${resource}`, `no such resource; the driver has ${driver.info.resources.join(', ')}`);
    return index;
  }

  private decode(driver: KmodDriver, values: readonly bigint[]): ParameterValues {
    return Object.fromEntries(driver.params.map((p) => [p.kernel.name, decodeValue(p.kernel, values[p.index] ?? 0n)]));
  }

  /** A driver that went away between two calls is reported as unknown. */
  private readKernel(driver: KmodDriver, resource: number): { generation: bigint; values: readonly bigint[] } {
    try {
      return this.device.read(driver.id, resource);
    } catch (err) {
      if (isKernelError(err) && (err.code === 'ENOENT' || err.code === 'ENODEV')) {
        this.loadDrivers();
        throw new BackendError('E_DRIVER', driver.info.id, `the driver went away (${err.code})`);
      }
      throw err;
    }
  }

  private loadDrivers(): void {
    this.byName.clear();
    this.byId.clear();
    for (const k of this.device.list()) {
      let description;
      try {
        description = this.device.describe(k.id);
      } catch (err) {
        if (isKernelError(err) && (err.code === 'ENOENT' || err.code === 'ENODEV')) continue;
        throw err;
      }
      const params = description.params.map((kernel, index) => ({ index, kernel, spec: specOf(kernel) }));
      const info: DriverInfo = {
        id: k.name,
        version: k.version,
        resources: description.resources,
        parameters: Object.fromEntries(params.map((p) => [p.kernel.name, p.spec])),
      };
      const driver = { id: k.id, info, params };
      this.byName.set(k.name, driver);
      this.byId.set(k.id, driver);
    }
  }

  private onEvent(event: KernelEvent): void {
    switch (event.type) {
      case 'driver-added':
      case 'driver-removed':
        this.loadDrivers();
        this.logger.info(`drivers now: ${[...this.byName.keys()].join(', ') || 'none'}`);
        return;
      case 'overflow':
        this.logger.warn('events were lost; every driver is treated as changed');
        for (const driver of this.byName.values()) {
          this.drift(driver, driver.info.resources, driver.params, Number(this.readKernel(driver, 0).generation));
        }
        return;
      case 'applied':
      case 'drift': {
        if (event.own) return;
        const driver = this.byId.get(event.driverId);
        if (!driver) return;
        const resources = driver.info.resources.filter((_, i) => (event.resources >> BigInt(i)) & 1n);
        this.drift(driver, resources, driver.params.filter((p) => (event.params >> BigInt(p.index)) & 1n), Number(event.generation));
      }
    }
  }

  private drift(driver: KmodDriver, resources: readonly string[], params: readonly KmodParameter[], generation: number): void {
    const drift: Drift = { driverId: driver.info.id, resources, parameters: params.map((p) => p.kernel.name), generation };
    this.logger.info(() => `${drift.driverId}: ${drift.parameters.join(', ')} of ${resources.join(', ')} changed outside persona (generation ${generation})`);
    for (const listener of this.driftListeners) listener(drift);
  }
}
