import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { ConfinedFolder, linkError } from './confined-file.js';
import type { ManifestError } from './manifest-error.js';
import { isDriverId, MANIFEST_SUFFIX, placeAt, placeOf, RESERVED_FOLDERS, type PersonalityPlace } from './personality-place.js';

/** Where a manifest file sits, which says what it must be. */
export interface ManifestLocation extends PersonalityPlace {
  /** The manifest folder it was found in: what it is read from, with no link below it. */
  readonly root: ConfinedFolder;
  readonly file: string;
}

/** `drivers/<driver-id>/mapping.json`, below the manifest folder. */
export function mappingPath(driverId: string): string {
  return `drivers/${driverId}/mapping.json`;
}

/** `manifests/drivers/<driver-id>/mapping.json`. */
export function mappingFile(dir: string, driverId: string): string {
  return join(dir, mappingPath(driverId));
}

/**
 * The manifests for this ECU under `dir`, per driver folder: the driver's generic
 * ones (`<driver>/<name>.dsse.json`) and those of its instance profile
 * (`<driver>/<profile>/<name>.dsse.json`). Other profiles' folders are not this
 * ECU's business. Folders and files are taken in code-unit order, not locale
 * order, so results are the same everywhere.
 *
 * `dir` may be a link; a driver or profile folder below it may not. Such a link is a
 * broken or tampered image, so the listing fails as a whole and a reload keeps the index
 * in force; a manifest file that is a link is listed, and refused when it is read.
 * @throws ManifestError E_LINK naming the folder that is a link, E_READ when `dir` or a
 *   driver folder cannot be read
 */
export function listManifests(
  dir: string,
  instanceProfile: string | undefined,
  logger: Logger,
): Array<{ driverId: string; locations: ManifestLocation[] }> {
  const root = new ConfinedFolder(dir);
  return driverFolders(root, logger).map((driverId) => {
    const generic = manifestFiles(root, driverId, logger).map((name) => location(dir, driverId, undefined, name));
    const profileFolder = instanceProfile === undefined ? undefined : `${driverId}/${instanceProfile}`;
    const profileStats = profileFolder === undefined ? undefined : root.stat(profileFolder);
    if (profileFolder !== undefined && profileStats?.isSymbolicLink() === true) throw linkedFolder(root, profileFolder);
    const specific =
      profileFolder === undefined || profileStats?.isDirectory() !== true
        ? []
        : manifestFiles(root, profileFolder, logger).map((name) => location(dir, driverId, instanceProfile, name));
    return { driverId, locations: [...generic, ...specific] };
  });
}

/**
 * The manifests of `dir` with those adopted from a shared namespace, least specific first:
 * bundled generic, adopted generic, bundled of the profile, adopted of the profile. An
 * adopted file does not hide the bundled one at its place: the loader takes the newest
 * file of each personality, and the later one at equal versions, so a stale adopted file
 * cannot put an older version in place of a newer bundled one. Both share the place's
 * anti-rollback record. The adopted folder holds no mappings; its drivers' mappings come
 * from `dir`.
 */
export function listWithAdopted(
  dir: string,
  adoptedDir: string | undefined,
  instanceProfile: string | undefined,
  logger: Logger,
): Array<{ driverId: string; locations: ManifestLocation[] }> {
  const bundled = listManifests(dir, instanceProfile, logger);
  if (adoptedDir === undefined || new ConfinedFolder(adoptedDir).stat('')?.isDirectory() !== true) return bundled;
  const byDriver = new Map(bundled.map(({ driverId, locations }) => [driverId, locations]));
  for (const { driverId, locations } of listManifests(adoptedDir, instanceProfile, logger)) {
    const merged = [...(byDriver.get(driverId) ?? []), ...locations];
    // A stable sort: bundled before adopted within generic and within profile-specific.
    byDriver.set(driverId, merged.sort((a, b) => Number(a.profile !== undefined) - Number(b.profile !== undefined)));
  }
  return [...byDriver].sort(([a], [b]) => (a < b ? -1 : 1)).map(([driverId, locations]) => ({ driverId, locations }));
}

/**
 * Where `relativePath` (`pvnic/highway.dsse.json`, `pvnic/cockpit/highway.dsse.json`) puts a
 * manifest under `dir`.
 * @throws PlaceError when it is no place of a manifest, naming the component at fault
 */
export function locationOf(dir: string, relativePath: string): ManifestLocation {
  return locate(dir, placeOf(relativePath));
}

function location(dir: string, driverId: string, profile: string | undefined, fileName: string): ManifestLocation {
  return locate(dir, placeAt(driverId, profile, fileName.slice(0, -MANIFEST_SUFFIX.length)));
}

function locate(dir: string, place: PersonalityPlace): ManifestLocation {
  return { ...place, root: new ConfinedFolder(dir), file: join(dir, place.path) };
}

/**
 * The bytes of the manifest at `location`, read below its manifest folder without following
 * any link there.
 * @throws ManifestError E_LINK, E_SIZE or E_READ
 */
export function readManifestFile(location: ManifestLocation): Buffer {
  return location.root.readFile(location.path);
}

/** A link where a driver id names a folder is refused, whatever it points at; other links are no driver's folder. */
function driverFolders(root: ConfinedFolder, logger: Logger): string[] {
  return root
    .list()
    .filter((e) => !RESERVED_FOLDERS.has(e.name))
    .filter((e) => {
      if (e.isSymbolicLink() && isDriverId(e.name)) throw linkedFolder(root, e.name);
      return e.isDirectory();
    })
    .map((e) => e.name)
    .filter((name) => {
      if (isDriverId(name)) return true;
      logger.warn(`ignored ${join(root.path, name)}: folder name is not a driver id`);
      return false;
    });
}

function linkedFolder(root: ConfinedFolder, relativePath: string): ManifestError {
  const folder = join(root.path, relativePath);
  return linkError(folder, folder, root.path);
}

/**
 * Hidden files are skipped: editors leave `.name.json` locks and swap files. A
 * plain `.json` file is most likely an unsigned manifest put where a signed one
 * belongs, so it is named in a warning rather than ignored silently.
 */
function manifestFiles(root: ConfinedFolder, relativePath: string, logger: Logger): string[] {
  const folder = join(root.path, relativePath);
  return root
    .list(relativePath)
    .map((e) => e.name)
    .filter((name) => {
      if (name.endsWith(MANIFEST_SUFFIX)) return true;
      if (name.endsWith('.json')) logger.warn(`ignored ${join(folder, name)}: not a signed manifest (<name>${MANIFEST_SUFFIX})`);
      return false;
    });
}
