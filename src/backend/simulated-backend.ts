import type { ParameterValue, ParameterValues } from '../manifests/personality.js';
import { BackendError, type ApplyResult, type DriverBackend, type DriverInfo, type ParameterChange } from './driver-backend.js';
import { checkParameter, sameValue } from './parameter-check.js';

/** A driver to simulate: its declaration and the values it starts with. */
export interface SimulatedDriver extends DriverInfo {
  readonly initial: ParameterValues;
}

/**
 * Keeps driver parameters in memory, for machines without persona.ko. It checks values
 * exactly as the kernel module does and reports `simulated` wherever status is shown.
 */
export class SimulatedBackend implements DriverBackend {
  readonly kind = 'simulated' as const;
  private readonly state = new Map<string, { info: DriverInfo; values: Map<string, Record<string, ParameterValue>>; generation: number }>();
  private readonly driftListeners = new Set<(drift: { driverId: string; resources: readonly string[]; parameters: readonly string[]; generation: number }) => void>();
  /** As pvnic's debugfs fail_set_at: the failAt-th value written from arming fails; 0 is off. */
  private failAt = 0;
  private writes = 0;

  constructor(drivers: readonly SimulatedDriver[]) {
    for (const { initial, ...info } of drivers) {
      this.state.set(info.id, { info, values: new Map(info.resources.map((r) => [r, { ...initial }])), generation: 0 });
    }
  }

  drivers(): DriverInfo[] {
    return [...this.state.values()].map((d) => d.info);
  }

  read(driverId: string, resource?: string): ParameterValues {
    const driver = this.driver(driverId);
    return { ...this.resourceValues(driver, resource ?? driver.info.resources[0] ?? '') };
  }

  apply(driverId: string, values: ParameterValues, resources?: readonly string[]): Promise<ApplyResult> {
    try {
      return Promise.resolve(this.applyNow(driverId, values, resources));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Makes the nth value written from now fail, as the kernel driver's fault injection does. */
  failNthWrite(nth: number): void {
    this.failAt = nth;
    this.writes = 0;
  }

  /** Changes one resource's values as a tool other than persona would (ethtool on the real driver). */
  drift(driverId: string, resource: string, values: ParameterValues): void {
    const driver = this.driver(driverId);
    const current = this.resourceValues(driver, resource);
    for (const [name, value] of Object.entries(values)) checkParameter(driver.info.parameters[name], value, `${driverId}/${name}`);
    Object.assign(current, values);
    driver.generation++;
    const drift = { driverId, resources: [resource], parameters: Object.keys(values), generation: driver.generation };
    for (const listener of this.driftListeners) listener(drift);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Calls `listener` for every drift(); returns the unsubscribe function. */
  onDrift(listener: (drift: { driverId: string; resources: readonly string[]; parameters: readonly string[]; generation: number }) => void): () => void {
    this.driftListeners.add(listener);
    return () => this.driftListeners.delete(listener);
  }

  private applyNow(driverId: string, values: ParameterValues, resources?: readonly string[]): ApplyResult {
    const started = performance.now();
    const driver = this.driver(driverId);
    const targets = (resources ?? driver.info.resources).map((r) => [r, this.resourceValues(driver, r)] as const);
    for (const [name, value] of Object.entries(values)) checkParameter(driver.info.parameters[name], value, `${driverId}/${name}`);
    const changes: ParameterChange[] = [];
    for (const [resource, current] of targets) {
      for (const [name, to] of Object.entries(values)) {
        const from = current[name];
        if (sameValue(from, to)) continue;
        if (this.failAt > 0 && ++this.writes === this.failAt) {
          this.failAt = 0;
          this.restore(driver, changes);
          throw new BackendError('E_DRIVER', `${driverId}/${name}`, 'the driver failed to set it; every value was restored');
        }
        changes.push({ resource, name, from, to });
        current[name] = to;
      }
    }
    if (changes.length > 0) driver.generation++;
    return { driverId, changes, generation: driver.generation, durationMs: performance.now() - started };
  }

  /** Undoes changes last first, as the kernel module does. */
  private restore(driver: { values: Map<string, Record<string, ParameterValue>> }, changes: readonly ParameterChange[]): void {
    for (const { resource, name, from } of [...changes].reverse()) {
      const current = driver.values.get(resource)!;
      if (from === undefined) delete current[name];
      else current[name] = from;
    }
  }

  private resourceValues(driver: { info: DriverInfo; values: Map<string, Record<string, ParameterValue>> }, resource: string): Record<string, ParameterValue> {
    const values = driver.values.get(resource);
    if (!values) throw new BackendError('E_RESOURCE', `${driver.info.id}/${resource}`, `no such resource; the driver has ${driver.info.resources.join(', ')}`);
    return values;
  }

  private driver(driverId: string) {
    const driver = this.state.get(driverId);
    if (!driver) throw new BackendError('E_DRIVER', driverId, 'no such driver');
    return driver;
  }
}
