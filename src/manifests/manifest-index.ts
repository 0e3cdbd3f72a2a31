import type { ManifestError } from './manifest-error.js';
import type { ManifestDocument } from './manifest-validator.js';
import type { ManifestTrust, Personality } from './personality.js';

/** A file that passed its verifier and parser: cached by its bytes' digest. */
export interface VerifiedFile {
  /** The verifier's trust when it was verified (see ManifestVerifier.refresh). */
  readonly trustId: string;
  readonly document: ManifestDocument;
  readonly trust: ManifestTrust;
}

/**
 * What one (re)load of a manifest folder found, never changed afterwards: the
 * store swaps whole indexes, so a lookup sees one load or the next, never a mix.
 */
export class ManifestIndex {
  constructor(
    private readonly byDriver: ReadonlyMap<string, ReadonlyMap<string, Personality>>,
    /** Every refused file with its reason, in load order. */
    readonly rejected: readonly ManifestError[],
    /** By location key (`<driver>/<name>`, …): the files admitted, for a later reload to fall back on. */
    readonly admitted: ReadonlyMap<string, VerifiedFile>,
  ) {}

  static readonly EMPTY = new ManifestIndex(new Map(), [], new Map());

  get(driverId: string, name: string): Personality | undefined {
    return this.byDriver.get(driverId)?.get(name);
  }

  /** Personalities of one driver, or of all, ordered by driver then name. */
  list(driverId?: string): Personality[] {
    const drivers = driverId === undefined ? this.drivers() : [driverId];
    return drivers.flatMap((id) =>
      // Names are unique per driver, so no two compare equal.
      [...(this.byDriver.get(id)?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
  }

  /** Drivers with at least one loaded personality, sorted. */
  drivers(): string[] {
    return [...this.byDriver.keys()].sort();
  }
}
