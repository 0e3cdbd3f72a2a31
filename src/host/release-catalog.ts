import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { ConfinedFolder } from '../manifests/confined-file.js';
import { parseEnvelope, PAYLOAD_TYPES } from '../manifests/dsse-envelope.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { parseManifest } from '../manifests/manifest-validator.js';
import { MANIFEST_SUFFIX, placeAt, type PersonalityPlace } from '../manifests/personality-place.js';

/** A released personality and its place in the namespace's `personalities/`. */
export interface Release {
  /** `pvnic/cockpit/highway.dsse.json`, or `pvnic/highway.dsse.json` for every profile. */
  readonly place: PersonalityPlace;
  readonly version: number;
  readonly bytes: Buffer;
  readonly file: string;
}

/**
 * The signed personalities in `folder` (any depth), each placed where its own payload
 * says: `<driver>/<name>` when it is for every profile, else `<driver>/<profile>/<name>`
 * for each profile it names. The host reads the payload without verifying it: it holds
 * no trust and needs none, since every guest verifies what it adopts; a file that is no
 * personality envelope at all is skipped with a warning, and so is a link below `folder`.
 * Where two files claim one place, the higher version is distributed.
 */
export function readReleases(folder: string, logger: Logger): Map<string, Release> {
  const releases = new Map<string, Release>();
  const root = new ConfinedFolder(folder);
  for (const relative of manifestFiles(root, '')) {
    const file = join(folder, relative);
    let bytes: Buffer;
    let document: ReturnType<typeof parseManifest>;
    try {
      bytes = root.readFile(relative);
      document = parseManifest(parseEnvelope(bytes, file, PAYLOAD_TYPES.personality).payload, file);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      logger.warn(`releases: skipped ${error.message} [${error.code}]`);
      continue;
    }
    const profiles = document.instanceProfiles.length === 0 ? [undefined] : document.instanceProfiles;
    for (const place of profiles.map((profile) => placeAt(document.driverId, profile, document.name))) {
      const other = releases.get(place.path);
      if (other !== undefined && other.version >= document.version) continue;
      releases.set(place.path, { place, version: document.version, bytes, file });
    }
  }
  return releases;
}

/** The manifest files at any depth below `relative`, as paths below the root; links to folders are not entered. */
function manifestFiles(root: ConfinedFolder, relative: string): string[] {
  return root.list(relative).flatMap((e) => {
    const path = relative === '' ? e.name : `${relative}/${e.name}`;
    return e.isDirectory() ? manifestFiles(root, path) : e.name.endsWith(MANIFEST_SUFFIX) ? [path] : [];
  });
}
