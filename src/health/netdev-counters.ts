import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CounterSource } from './counter-source.js';

/**
 * The counters every Linux network device keeps, from /sys/class/net/<if>/statistics: the same
 * for pvnic and for any NIC driver, so a manifest's health bounds need nothing driver-specific.
 * Resources that are not network devices have none (undefined).
 */
export class NetdevCounters implements CounterSource {
  constructor(private readonly classNet = '/sys/class/net') {}

  read(_driverId: string, resources: readonly string[]): Record<string, number> | undefined {
    const sums: Record<string, number> = {};
    for (const resource of resources) {
      const dir = join(this.classNet, resource, 'statistics');
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return undefined;
      }
      for (const name of names) {
        const value = Number(readFileSync(join(dir, name), 'utf8').trim());
        if (Number.isFinite(value)) sums[name] = (sums[name] ?? 0) + value;
      }
    }
    return sums;
  }
}
