import type { ParameterValue, ParameterValues } from '../manifests/personality.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { BackendError, PartialApplyError, type ApplyResult, type BackendKind, type DriverBackend, type DriverInfo, type Drift, type ParameterChange } from './driver-backend.js';
import { sameValue } from './parameter-check.js';
import { SerialQueue } from './serial-queue.js';

/** One parameter of one resource, as a userspace backend reaches it. */
export interface UserspaceTarget {
  /** What messages name: the sysfs file, or the ethtool command and field. */
  readonly where: string;
  read(): ParameterValue;
  write(value: ParameterValue): void;
}

/** A driver a userspace backend drives: its declaration and how to reach each parameter. */
export interface UserspaceDriver {
  readonly info: DriverInfo;
  /** Parameter names in the order they are applied (restored in the reverse one). */
  readonly order: readonly string[];
  /** Throws BackendError (E_RANGE) naming `path` and the target when the mapping cannot encode `value`. */
  check(name: string, value: ParameterValue, path: string): void;
  target(resource: string, name: string): UserspaceTarget;
}

export interface UserspaceBackendOptions {
  /** How often values are read to notice changes made by others; default 2000 ms, 0 never. */
  pollMs?: number;
  logger?: Logger;
}

interface Write {
  readonly resource: string;
  readonly name: string;
  readonly target: UserspaceTarget;
  readonly from: ParameterValue;
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * All-or-nothing applies for drivers without persona hooks, done in userspace: every value is
 * checked against the mapping, the current values are read (the snapshot), the new ones are
 * written in the mapping's order and each is read back; on the first failure the ones already
 * written are restored in reverse order. Nothing locks the driver against other writers
 * meanwhile, and a crash midway leaves what was written: docs/backends.md says what that means.
 * Changes made by others are found by reading every value every `pollMs`.
 */
export abstract class UserspaceBackend implements DriverBackend {
  abstract readonly kind: BackendKind;
  private readonly byName: ReadonlyMap<string, { driver: UserspaceDriver; generation: number; known: Map<string, Record<string, ParameterValue>> }>;
  private readonly driftListeners = new Set<(drift: Drift) => void>();
  private readonly logger: Logger;
  private readonly queue = new SerialQueue();
  private poller: NodeJS.Timeout | undefined;
  private stopped = false;

  protected constructor(drivers: readonly UserspaceDriver[], options: UserspaceBackendOptions) {
    this.logger = options.logger ?? silentLogger;
    this.byName = new Map(
      drivers.map((driver) => [driver.info.id, { driver, generation: 0, known: new Map(driver.info.resources.map((r) => [r, this.readResource(driver, r)])) }]),
    );
    const pollMs = options.pollMs ?? 2000;
    if (pollMs > 0) this.pollAfter(pollMs);
  }

  drivers(): DriverInfo[] {
    return [...this.byName.values()].map((d) => d.driver.info);
  }

  read(driverId: string, resource?: string): ParameterValues {
    const { driver } = this.state(driverId);
    return this.readResource(driver, this.resource(driver, resource ?? driver.info.resources[0] ?? ''));
  }

  apply(driverId: string, values: ParameterValues, resources?: readonly string[]): Promise<ApplyResult> {
    return this.queue.run(() => this.applyNow(driverId, values, resources));
  }

  onDrift(listener: (drift: Drift) => void): () => void {
    this.driftListeners.add(listener);
    return () => this.driftListeners.delete(listener);
  }

  /** Reads every value now and reports those that changed since persona last saw them as drift. */
  poll(): Promise<void> {
    return this.queue.run(() => this.pollNow());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.poller);
    await this.queue.idle();
  }

  /** Counted from the end of the last poll, so slow reads (a process per ethtool read) never pile up. */
  private pollAfter(pollMs: number): void {
    this.poller = setTimeout(() => {
      this.poll()
        .catch((err: unknown) => this.logger.warn(`drift poll: ${describe(err)}`))
        .finally(() => {
          if (!this.stopped) this.pollAfter(pollMs);
        });
    }, pollMs);
    this.poller.unref();
  }

  private applyNow(driverId: string, values: ParameterValues, resources?: readonly string[]): ApplyResult {
    const started = performance.now();
    const state = this.state(driverId);
    const { driver } = state;
    const targets = (resources ?? driver.info.resources).map((r) => this.resource(driver, r));
    for (const [name, value] of Object.entries(values)) driver.check(name, value, `${driverId}/${name}`);
    // Sets read back sorted, so they are compared and reported sorted.
    const wanted: Record<string, ParameterValue> = Object.fromEntries(Object.entries(values).map(([name, v]) => [name, Array.isArray(v) ? [...(v as string[])].sort() : v]));
    const names = driver.order.filter((name) => name in wanted);
    const snapshot = targets.flatMap((resource) =>
      names.map((name) => {
        const target = driver.target(resource, name);
        return { resource, name, target, from: this.readTarget(driverId, name, target) };
      }),
    );
    const written: Write[] = [];
    for (const write of snapshot) {
      const to = wanted[write.name]!;
      if (sameValue(write.from, to)) continue;
      written.push(write);
      try {
        write.target.write(to);
        const back = write.target.read();
        if (!sameValue(back, to)) throw new Error(`reads back ${JSON.stringify(back)} after ${JSON.stringify(to)} was written`);
      } catch (err) {
        this.rollBack(driverId, write, err, written);
      }
    }
    const changes: ParameterChange[] = written.map(({ resource, name, from }) => ({ resource, name, from, to: wanted[name]! }));
    for (const { resource, name, to } of changes) state.known.get(resource)![name] = to;
    if (changes.length > 0) state.generation++;
    return { driverId, changes, generation: state.generation, durationMs: performance.now() - started };
  }

  /** Restores what was written, last first, then throws what went wrong. */
  private rollBack(driverId: string, failed: Write, cause: unknown, written: readonly Write[]): never {
    const unrestored: string[] = [];
    for (const { name, target, from } of [...written].reverse()) {
      try {
        if (!sameValue(target.read(), from)) target.write(from);
        const back = target.read();
        if (!sameValue(back, from)) throw new Error(`reads back ${JSON.stringify(back)} instead of ${JSON.stringify(from)}`);
      } catch (err) {
        unrestored.push(`${name} at ${target.where}: ${describe(err)}`);
      }
    }
    const path = `${driverId}/${failed.name}`;
    const what = `${failed.target.where}: ${describe(cause)}`;
    if (unrestored.length === 0) throw new BackendError('E_DRIVER', path, `${what}; every value was restored`);
    this.logger.error(`${path}: ${what}; restoring failed for ${unrestored.join('; ')}`);
    throw new PartialApplyError(path, `${what}; restoring failed, so these are left changed: ${unrestored.join('; ')}`, unrestored);
  }

  private pollNow(): void {
    for (const state of this.byName.values()) {
      const { driver, known } = state;
      const resources: string[] = [];
      const parameters = new Set<string>();
      for (const [resource, before] of known) {
        let now;
        try {
          now = this.readResource(driver, resource);
        } catch (err) {
          this.logger.warn(() => `${driver.info.id}/${resource}: cannot read for drift: ${describe(err)}`);
          continue;
        }
        const changed = driver.order.filter((name) => !sameValue(before[name], now[name]!));
        if (changed.length === 0) continue;
        resources.push(resource);
        changed.forEach((name) => parameters.add(name));
        known.set(resource, now);
      }
      if (resources.length === 0) continue;
      state.generation++;
      const drift: Drift = { driverId: driver.info.id, resources, parameters: driver.order.filter((n) => parameters.has(n)), generation: state.generation };
      this.logger.info(() => `${drift.driverId}: ${drift.parameters.join(', ')} of ${resources.join(', ')} changed outside persona (generation ${drift.generation})`);
      for (const listener of this.driftListeners) listener(drift);
    }
  }

  private readResource(driver: UserspaceDriver, resource: string): Record<string, ParameterValue> {
    return Object.fromEntries(driver.order.map((name) => [name, this.readTarget(driver.info.id, name, driver.target(resource, name))]));
  }

  private readTarget(driverId: string, name: string, target: UserspaceTarget): ParameterValue {
    try {
      return target.read();
    } catch (err) {
      throw new BackendError('E_DRIVER', `${driverId}/${name}`, `${target.where}: cannot read: ${describe(err)}`);
    }
  }

  private state(driverId: string) {
    const state = this.byName.get(driverId);
    if (!state) throw new BackendError('E_DRIVER', driverId, 'no such driver');
    return state;
  }

  private resource(driver: UserspaceDriver, resource: string): string {
    if (!driver.info.resources.includes(resource)) {
      throw new BackendError('E_RESOURCE', `${driver.info.id}/${resource}`, `no such resource; the driver has ${driver.info.resources.join(', ')}`);
    }
    return resource;
  }
}
