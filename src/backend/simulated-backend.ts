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
        changes.push({ resource, name, from, to });
        current[name] = to;
      }
    }
    if (changes.length > 0) driver.generation++;
    return { driverId, changes, generation: driver.generation, durationMs: performance.now() - started };
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
