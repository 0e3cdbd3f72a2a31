/**
 * Where a signed personality sits, the same in a manifest folder, the adopted folder and a
 * shared namespace's `personalities/`: `<driver>/<name>.dsse.json` for every instance profile,
 * `<driver>/<profile>/<name>.dsse.json` for one. The rules for the names of those components
 * are kept here and nowhere else.
 */

/** A signed manifest's file name: `<name>.dsse.json`. */
export const MANIFEST_SUFFIX = '.dsse.json';

/**
 * Folders of a manifest folder that hold no driver's manifests: schemas, driver
 * mappings, the trust root chain, keys and the unsigned sources of manifests.
 * A driver cannot have one of these ids.
 */
export const RESERVED_FOLDERS: ReadonlySet<string> = new Set(['schema', 'drivers', 'trust', 'keys', 'src']);

/** As personality.schema.json's driver id. */
const DRIVER_ID = /^[a-z][a-z0-9_]{0,31}$/;
/** As config.schema.json's instanceProfile. */
const PROFILE = /^[a-z][a-z0-9-]{0,62}$/;
/** Any component of a place at most: a lower-case plain name, which the driver id and the profile both are. */
const PLAIN_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

const FORM = `<driver>/[<profile>/]<name>${MANIFEST_SUFFIX}`;

export interface PersonalityPlace {
  readonly driverId: string;
  /** The instance profile it is for, or undefined in the driver's generic folder. */
  readonly profile: string | undefined;
  /** Its file name without `.dsse.json`: the name its manifest must have. */
  readonly name: string;
  /** `<driver>/<name>` or `<driver>/<profile>/<name>`: what anti-rollback state is kept under. */
  readonly key: string;
  /** `<driver>/[<profile>/]<name>.dsse.json`, below the folder that holds it. */
  readonly path: string;
}

/** A path that names no personality's place, and the component at fault. */
export class PlaceError extends Error {
  override readonly name = 'PlaceError';

  constructor(
    readonly relativePath: string,
    /** What is wrong, naming the component: `"Pvnic" is not a driver id`. */
    readonly problem: string,
  ) {
    super(`${relativePath} is not ${FORM}: ${problem}`);
  }
}

export function isDriverId(name: string): boolean {
  return DRIVER_ID.test(name);
}

/** The place of the personality `name` of `driverId`, for `profile` or, undefined, for every profile. */
export function placeAt(driverId: string, profile: string | undefined, name: string): PersonalityPlace {
  const key = profile === undefined ? `${driverId}/${name}` : `${driverId}/${profile}/${name}`;
  return { driverId, profile, name, key, path: `${key}${MANIFEST_SUFFIX}` };
}

/**
 * The place `relativePath` names, as the store takes it: the driver folder a driver id that is
 * not reserved, the profile folder a profile name, the file a visible `<name>.dsse.json`. The
 * name itself is left to the manifest, which must carry the same.
 * @throws PlaceError naming the component at fault
 */
export function placeOf(relativePath: string): PersonalityPlace {
  return parsePlace(relativePath, (component, role) => {
    if (role === 'driver') {
      if (!DRIVER_ID.test(component)) return `"${component}" is not a driver id`;
      if (RESERVED_FOLDERS.has(component)) return `"${component}" is a reserved folder, no driver's`;
    }
    if (role === 'profile' && !PROFILE.test(component)) return `"${component}" is not a profile name`;
    return undefined;
  });
}

/**
 * The place `relativePath` has the shape of: every component a lower-case plain name. A
 * transport takes what has this shape and leaves the exact rules to the store's vetting, whose
 * refusal the instance reports where its operator sees it; what has not even the shape of a
 * place (a path climbing out, a hidden file) never gets that far.
 * @throws PlaceError naming the component at fault
 */
export function placeShapeOf(relativePath: string): PersonalityPlace {
  return parsePlace(relativePath, (component) => (PLAIN_NAME.test(component) ? undefined : `"${component}" is not a lower-case plain name`));
}

/**
 * Splits `relativePath` into a place, asking `problemOf` about the driver and profile folders
 * and the name.
 */
function parsePlace(relativePath: string, problemOf: (component: string, role: 'driver' | 'profile' | 'name') => string | undefined): PersonalityPlace {
  const parts = relativePath.split('/');
  if (parts.length < 2 || parts.length > 3) throw new PlaceError(relativePath, `needs 2 or 3 components, has ${parts.length}`);
  const fileName = parts.at(-1)!;
  if (!fileName.endsWith(MANIFEST_SUFFIX)) throw new PlaceError(relativePath, `"${fileName}" does not end in ${MANIFEST_SUFFIX}`);
  if (fileName.startsWith('.')) throw new PlaceError(relativePath, `"${fileName}" is hidden`);
  const driverId = parts[0]!;
  const profile = parts.length === 3 ? parts[1] : undefined;
  const name = fileName.slice(0, -MANIFEST_SUFFIX.length);
  const problem = problemOf(driverId, 'driver') ?? (profile === undefined ? undefined : problemOf(profile, 'profile')) ?? problemOf(name, 'name');
  if (problem !== undefined) throw new PlaceError(relativePath, problem);
  return placeAt(driverId, profile, name);
}
