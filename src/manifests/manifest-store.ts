import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { silentLogger, type Logger } from '../common/logger.js';
import { ManifestError } from './manifest-error.js';
import { parsePersonality } from './manifest-validator.js';
import type { ManifestVerifier } from './manifest-verifier.js';
import type { Personality } from './personality.js';

/** Holds the schema, not a driver; the validator has its own copy compiled in. */
const SCHEMA_FOLDER = 'schema';
const DRIVER_ID = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * The personalities of a manifest folder laid out as `<dir>/<driver-id>/<name>.json`.
 * Loading is per file and all-or-nothing: a bad file is rejected on its own and
 * never takes the place of, or takes down, a good one.
 */
export class ManifestStore {
  private constructor(
    /** The folder loaded from. */
    readonly dir: string,
    private readonly byDriver: ReadonlyMap<string, ReadonlyMap<string, Personality>>,
    /** Every refused file with its reason, in load order. */
    readonly rejected: readonly ManifestError[],
  ) {}

  /**
   * Loads every manifest under `dir`. Folders and files are taken in code-unit
   * order, not locale order, so which of two duplicates wins is the same everywhere.
   * Throws only if a folder itself cannot be read.
   */
  static load(dir: string, verifier: ManifestVerifier, logger: Logger = silentLogger): ManifestStore {
    const byDriver = new Map<string, Map<string, Personality>>();
    const rejected: ManifestError[] = [];
    for (const driverId of driverFolders(dir, logger)) {
      const byName = new Map<string, Personality>();
      for (const file of manifestFiles(join(dir, driverId))) {
        try {
          const personality = loadFile(file, driverId, verifier);
          const first = byName.get(personality.name);
          if (first !== undefined) {
            const text = `personality "${personality.name}" is already defined by ${first.source}`;
            throw new ManifestError('E_DUPLICATE', file, text, '/name');
          }
          byName.set(personality.name, personality);
          logger.debug(
            () => `loaded ${driverId}/${personality.name} v${personality.version} from ${file} (sha256 ${personality.digest})`,
          );
        } catch (error) {
          if (!(error instanceof ManifestError)) throw error;
          rejected.push(error);
          logger.warn(`rejected ${error.message} [${error.code}]`);
        }
      }
      if (byName.size > 0) byDriver.set(driverId, byName);
    }
    const count = [...byDriver.values()].reduce((sum, byName) => sum + byName.size, 0);
    logger.info(
      `${count} personalities for [${[...byDriver.keys()].join(', ')}] from ${dir} ` +
        `(${verifier.kind}), ${rejected.length} rejected`,
    );
    return new ManifestStore(dir, byDriver, Object.freeze(rejected));
  }

  get(driverId: string, name: string): Personality | undefined {
    return this.byDriver.get(driverId)?.get(name);
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

  /**
   * Guards applying parameters to a driver they were not written for.
   * Plain semver: a pre-release driver (`1.2.0-rc1`) only matches ranges that name it.
   * @throws ManifestError E_DRIVER_VERSION
   */
  checkCompatible(p: Personality, driverVersion: string): void {
    const fail = (text: string): ManifestError =>
      new ManifestError('E_DRIVER_VERSION', p.source, text, '/driver/versions');
    if (semver.valid(driverVersion) === null) {
      throw fail(`driver ${p.driverId} reports ${JSON.stringify(driverVersion)}, not a semantic version`);
    }
    if (!semver.satisfies(driverVersion, p.driverVersions)) {
      throw fail(`driver ${p.driverId} ${driverVersion} is outside "${p.driverVersions}"`);
    }
  }
}

function driverFolders(dir: string, logger: Logger): string[] {
  return readdirSync(dir)
    .filter((name) => name !== SCHEMA_FOLDER && !name.startsWith('.'))
    .filter((name) => statSync(join(dir, name), { throwIfNoEntry: false })?.isDirectory() === true)
    .filter((name) => {
      if (DRIVER_ID.test(name)) return true;
      logger.warn(`ignored ${join(dir, name)}: folder name is not a driver id`);
      return false;
    })
    .sort();
}

/** Hidden files are skipped: editors leave `.name.json` locks and swap files. */
function manifestFiles(driverDir: string): string[] {
  return readdirSync(driverDir)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .sort()
    .map((name) => join(driverDir, name));
}

function loadFile(file: string, driverId: string, verifier: ManifestVerifier): Personality {
  const personality = parsePersonality(verifier.verify(readBytes(file), file), file);
  if (personality.driverId !== driverId) {
    const text = `driver "${personality.driverId}" does not match folder "${driverId}"`;
    throw new ManifestError('E_SCHEMA', file, text, '/driver/id');
  }
  return personality;
}

function readBytes(file: string): Uint8Array {
  try {
    // Only regular files: reading a FIFO or device would block or never end.
    if (statSync(file).isFile()) return readFileSync(file);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new ManifestError('E_READ', file, text, undefined, { cause: error });
  }
  throw new ManifestError('E_READ', file, 'not a regular file');
}

