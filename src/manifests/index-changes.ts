import type { ManifestIndex } from './manifest-index.js';

/** A personality that one load added, removed or replaced, compared with another. */
export interface PersonalityChange {
  readonly driverId: string;
  readonly name: string;
  /** Its version before; null when it is new. */
  readonly from: number | null;
  /** Its version now; null when it is gone. */
  readonly to: number | null;
}

/** What differs between the index in force before a load and the one after it. */
export interface IndexChanges {
  /** By driver, then name. */
  readonly personalities: readonly PersonalityChange[];
  /** Whether other files are refused than before, or the same files with other codes. */
  readonly rejections: boolean;
}

/**
 * A personality changed when it was added or removed, or when the payload digest of its
 * manifest differs: a new version, or other bytes (the same version with other bytes only
 * loads without anti-rollback state). A new trust root that signs the same payloads changes
 * nothing, and neither does a file refused where a good one stays in force.
 */
export function indexChanges(before: ManifestIndex, after: ManifestIndex): IndexChanges {
  const personalities: PersonalityChange[] = [];
  const drivers = [...new Set([...before.drivers(), ...after.drivers()])].sort();
  for (const driverId of drivers) {
    const names = [...new Set([...before.list(driverId), ...after.list(driverId)].map((p) => p.name))].sort();
    for (const name of names) {
      const was = before.get(driverId, name);
      const is = after.get(driverId, name);
      if (was?.digest === is?.digest) continue;
      personalities.push({ driverId, name, from: was?.version ?? null, to: is?.version ?? null });
    }
  }
  return { personalities, rejections: refusals(before) !== refusals(after) };
}

/** The refused files with their codes, in one order. */
function refusals(index: ManifestIndex): string {
  return JSON.stringify(index.rejected.map((e) => `${e.file} ${e.code}`).sort());
}
