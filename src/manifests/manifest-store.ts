// Two functions, not the whole of semver: its index loads some fifty modules at start-up.
import valid from 'semver/functions/valid.js';
import satisfies from 'semver/functions/satisfies.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { ManifestError } from './manifest-error.js';
import { ManifestIndex, type VerifiedFile } from './manifest-index.js';
import { loadGeneration, vetCandidate, type LoadOptions } from './manifest-loader.js';
import { locationOf, type ManifestLocation } from './manifest-layout.js';
import { PlaceError } from './personality-place.js';
import type { ManifestVerifier } from './manifest-verifier.js';
import type { Personality } from './personality.js';

export type ManifestStoreOptions = LoadOptions;

/**
 * The personalities of a manifest folder laid out as
 * `<dir>/<driver-id>/[<instance-profile>/]<name>.dsse.json`, with each driver's
 * mapping in `<dir>/drivers/<driver-id>/mapping.json`.
 *
 * Every (re)load builds a whole new index and swaps it in with one assignment,
 * so every lookup sees one load or the next, never a mix; a reload that fails
 * leaves the index in force as it was.
 */
export class ManifestStore {
  private index = ManifestIndex.EMPTY;
  private cache: ReadonlyMap<string, VerifiedFile> = new Map();

  private constructor(
    /** The folder loaded from. */
    readonly dir: string,
    private readonly verifier: ManifestVerifier,
    private readonly logger: Logger,
    private readonly options: ManifestStoreOptions,
  ) {}

  /**
   * Loads every manifest for this ECU under `dir`.
   * @throws ManifestError when nothing can be trusted (trust root, anti-rollback state)
   * @throws DocumentError when a driver's mapping is invalid
   * @throws ManifestError E_READ when a folder itself cannot be read, E_LINK when a folder below `dir` is a link
   */
  static load(
    dir: string,
    verifier: ManifestVerifier,
    logger: Logger = silentLogger,
    options: ManifestStoreOptions = {},
  ): ManifestStore {
    const store = new ManifestStore(dir, verifier, logger, options);
    store.reload();
    return store;
  }

  /**
   * Loads the folder again (on SIGHUP or on request) and swaps the new index in.
   * Files whose bytes were verified before under the same trust are not verified again.
   * @returns the new index, e.g. to report what was loaded and rejected
   * @throws as load(); the index in force stays
   */
  reload(): ManifestIndex {
    const { index, cache } = loadGeneration({
      dir: this.dir,
      verifier: this.verifier,
      logger: this.logger,
      options: this.options,
      previous: this.index,
      cache: this.cache,
    });
    this.index = index;
    this.cache = cache;
    const drivers = index.drivers();
    this.logger.info(
      `${index.list().length} personalities for [${drivers.join(', ')}] from ${this.dir} ` +
        `(${this.verifier.kind}), ${index.rejected.length} rejected`,
    );
    return index;
  }

  /**
   * Checks bytes meant for `relativePath` under the adopted folder as far as they can be
   * checked alone (see vetCandidate), changing nothing.
   * @throws ManifestError naming `origin`: E_TARGET for a path that is no manifest's place
   */
  vet(relativePath: string, bytes: Uint8Array, origin: string): VerifiedFile {
    let location: ManifestLocation;
    try {
      location = locationOf(this.options.adoptedDir ?? this.dir, relativePath);
    } catch (error) {
      if (!(error instanceof PlaceError)) throw error;
      throw new ManifestError('E_TARGET', origin, error.message, undefined, { cause: error });
    }
    return vetCandidate({ dir: this.dir, verifier: this.verifier, options: this.options }, location, bytes, origin);
  }

  /** The index in force: what the last load that worked found. */
  get inForce(): ManifestIndex {
    return this.index;
  }

  /** Every file the last load refused, with its reason, in load order. */
  get rejected(): readonly ManifestError[] {
    return this.index.rejected;
  }

  /** The manifest admitted at a location key (`<driver>/[<profile>/]<name>`) by the last load. */
  admitted(key: string): VerifiedFile | undefined {
    return this.index.admitted.get(key);
  }

  get(driverId: string, name: string): Personality | undefined {
    return this.index.get(driverId, name);
  }

  /** @throws ManifestError E_NOT_FOUND */
  require(driverId: string, name: string): Personality {
    const personality = this.get(driverId, name);
    if (personality === undefined) {
      const text = `no personality "${name}" for driver "${driverId}"`;
      throw new ManifestError('E_NOT_FOUND', this.dir, text);
    }
    return personality;
  }

  /** Personalities of one driver, or of all, ordered by driver then name. */
  list(driverId?: string): Personality[] {
    return this.index.list(driverId);
  }

  /** Drivers with at least one loaded personality, sorted. */
  drivers(): string[] {
    return this.index.drivers();
  }

  /**
   * Guards applying parameters to a driver they were not written for.
   * Plain semver: a pre-release driver (`1.2.0-rc1`) only matches ranges that name it.
   * @throws ManifestError E_DRIVER_VERSION
   */
  checkCompatible(p: Personality, driverVersion: string): void {
    const fail = (text: string): ManifestError =>
      new ManifestError('E_DRIVER_VERSION', p.source, text, '/driver/versions');
    if (valid(driverVersion) === null) {
      throw fail(`driver ${p.driverId} reports ${JSON.stringify(driverVersion)}, not a semantic version`);
    }
    if (!satisfies(driverVersion, p.driverVersions)) {
      throw fail(`driver ${p.driverId} ${driverVersion} is outside "${p.driverVersions}"`);
    }
  }
}
