import type { Stats } from 'node:fs';
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

/** What a release file's payload says it is, and its bytes, to distribute as they are. */
interface Claim {
  readonly bytes: Buffer;
  readonly driverId: string;
  readonly name: string;
  readonly version: number;
  readonly instanceProfiles: readonly string[];
}

/** What a release file held when it was last read, and the stamp it had then. */
interface Reading {
  readonly stamp: string;
  /** Null when it is no personality envelope: said when it was read, and not again while it is unchanged. */
  readonly claim: Claim | null;
}

/** Reads a file below a root: the confined read, or in a test one that counts. */
export type ReleaseReader = (root: ConfinedFolder, relativePath: string) => Buffer;

/**
 * The signed personalities in a folder (any depth), each placed where its own payload
 * says: `<driver>/<name>` when it is for every profile, else `<driver>/<profile>/<name>`
 * for each profile it names. The host reads the payload without verifying it: it holds
 * no trust and needs none, since every guest verifies what it adopts; a file that is no
 * personality envelope at all is skipped with a warning, and so is a link below the folder.
 * Where two files claim one place, the higher version is distributed.
 *
 * The host looks every round, so a file is read and parsed again only when it changed since
 * the last look: when its device, inode, size, modification or change time differ. The
 * change time is set by the kernel on every write, so even a copy that keeps the modification
 * time (`cp -p`, `rsync -t`) is seen. A file that is gone is dropped; one that is still
 * skipped is not warned about again until it changes.
 */
export class ReleaseCatalog {
  /** The last reading of each file, by its path, in the order the folder was listed. */
  private readings = new Map<string, Reading>();

  constructor(
    private readonly logger: Logger,
    private readonly read: ReleaseReader = (root, relativePath) => root.readFile(relativePath),
  ) {}

  /** The releases in `folder` now, by their place's path. */
  releases(folder: string): Map<string, Release> {
    const root = new ConfinedFolder(folder);
    const readings = new Map<string, Reading>();
    for (const relative of manifestFiles(root, '')) {
      const file = join(folder, relative);
      const reading = this.reading(root, relative, file);
      if (reading !== undefined) readings.set(file, reading);
    }
    this.readings = readings;
    const releases = new Map<string, Release>();
    for (const [file, { claim }] of readings) {
      if (claim === null) continue;
      const profiles = claim.instanceProfiles.length === 0 ? [undefined] : claim.instanceProfiles;
      for (const place of profiles.map((profile) => placeAt(claim.driverId, profile, claim.name))) {
        const other = releases.get(place.path);
        if (other !== undefined && other.version >= claim.version) continue;
        releases.set(place.path, { place, version: claim.version, bytes: claim.bytes, file });
      }
    }
    return releases;
  }

  /** The file's last reading while it is unchanged, else a new one; undefined when it is gone or cannot be looked at. */
  private reading(root: ConfinedFolder, relative: string, file: string): Reading | undefined {
    let stats: Stats | undefined;
    try {
      stats = root.stat(relative);
    } catch (error) {
      this.skipped(error);
      return undefined;
    }
    if (stats === undefined) return undefined;
    const stamp = stampOf(stats);
    const last = this.readings.get(file);
    if (last?.stamp === stamp) return last;
    try {
      const bytes = this.read(root, relative);
      const document = parseManifest(parseEnvelope(bytes, file, PAYLOAD_TYPES.personality).payload, file);
      return { stamp, claim: { bytes, driverId: document.driverId, name: document.name, version: document.version, instanceProfiles: document.instanceProfiles } };
    } catch (error) {
      this.skipped(error);
      return { stamp, claim: null };
    }
  }

  private skipped(error: unknown): void {
    if (!(error instanceof ManifestError)) throw error;
    this.logger.warn(`releases: skipped ${error.message} [${error.code}]`);
  }
}

/**
 * What identifies one state of a file, stat'ed before it is read: a write between the stat
 * and the read leaves a stamp that no longer matches, so the file is read again next round.
 */
function stampOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/** The manifest files at any depth below `relative`, as paths below the root; links to folders are not entered. */
function manifestFiles(root: ConfinedFolder, relative: string): string[] {
  return root.list(relative).flatMap((e) => {
    const path = relative === '' ? e.name : `${relative}/${e.name}`;
    return e.isDirectory() ? manifestFiles(root, path) : e.name.endsWith(MANIFEST_SUFFIX) ? [path] : [];
  });
}
