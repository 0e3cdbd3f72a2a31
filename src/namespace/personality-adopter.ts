import { rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeDurably } from '../common/durable-file.js';
import type { Logger } from '../common/logger.js';
import { ConfinedFolder, isMissing } from '../manifests/confined-file.js';
import { ManifestError } from '../manifests/manifest-error.js';
import type { VerifiedFile } from '../manifests/manifest-index.js';
import { listManifests } from '../manifests/manifest-layout.js';
import { MANIFEST_SUFFIX } from '../manifests/personality-place.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import { isForProfile } from './namespace-layout.js';
import type { NamespaceDocument } from './namespace-source.js';

/** A personality taken from the namespace and in force in the store. */
export interface Adopted {
  /** Its location key: `pvnic/cockpit/highway`. */
  readonly personality: string;
  readonly version: number;
  readonly digest: string;
  readonly from: string;
  /** Wall-clock ms since the epoch. */
  readonly atMs: number;
}

/** A file of the namespace refused, and why; its bytes are not tried again while the namespace holds them. */
export interface Refused {
  readonly personality: string;
  readonly code: string;
  readonly error: string;
  readonly from: string;
  readonly atMs: number;
  readonly digest: string;
}

/** What one adoption changed. */
export interface AdoptionOutcome {
  readonly adopted: readonly Adopted[];
  readonly refused: readonly Refused[];
}

/**
 * Takes personalities from the shared namespace into the manifest store with every
 * check a bundled manifest gets (signature threshold, trust chain, expiry, rollback,
 * target, driver mapping), all at once: the new files are staged into the adopted
 * folder, the store loads a whole new index, and each file it refused is taken back
 * out, so that its place keeps what it held (the store's index already falls back on
 * it). The transport is never trusted: a file the namespace withdraws stays adopted,
 * because only a newer signed version may replace it.
 */
export class PersonalityAdopter {
  private readonly adopted = new Map<string, Adopted>();
  private readonly refused = new Map<string, Refused>();
  /** The bytes of each path at the last look, so that an unchanged namespace costs nothing. */
  private seen = new Map<string, Buffer>();

  constructor(
    private readonly store: ManifestStore,
    /** The store's adoptedDir: `<state>/adopted`. */
    private readonly adoptedDir: string,
    private readonly profile: string | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    for (const { locations } of safeList(adoptedDir, profile, logger)) {
      for (const location of locations) {
        const admitted = store.admitted(location.key);
        // A bundled file may hold the place instead, when the adopted one was refused as older.
        if (admitted && !store.rejected.some((e) => e.file === location.file)) this.adopted.set(location.key, { personality: location.key, version: admitted.document.version, digest: admitted.document.digest, from: `dir:${location.file}`, atMs: 0 });
      }
    }
  }

  /** Adopted so far (this run and, with atMs 0, earlier ones), by location key. */
  list(): Adopted[] {
    return [...this.adopted.values()].sort((a, b) => (a.personality < b.personality ? -1 : 1));
  }

  /** Refused files whose bytes are still what the namespace holds at their place. */
  refusals(): Refused[] {
    return [...this.refused.values()].sort((a, b) => (a.personality < b.personality ? -1 : 1));
  }

  /**
   * Adopts what is new in `personalities` (paths inside `personalities/`). Each file is
   * vetted in memory first (signature, target, expiry, mapping, rollback): only files that
   * pass are staged, so junk costs neither a write nor a reload. A child whose parent is
   * neither in force nor arriving with it is refused for now and tried again later.
   * @returns what changed, or undefined when nothing was new
   */
  adopt(personalities: ReadonlyMap<string, NamespaceDocument>): AdoptionOutcome | undefined {
    const atMs = this.now();
    const refused: Refused[] = [];
    const fresh = [...personalities].filter(([path, document]) => isForProfile(path, this.profile) && !this.seen.get(path)?.equals(document.bytes));
    // What the namespace no longer holds is no longer refused there.
    for (const key of this.refused.keys()) if (!personalities.has(`${key}${MANIFEST_SUFFIX}`)) this.refused.delete(key);
    this.seen = new Map([...personalities].map(([path, d]) => [path, d.bytes]));
    const vetted: Array<{ path: string; key: string; file: string; document: NamespaceDocument; digest: string; verified: VerifiedFile; previous: Buffer | undefined }> = [];
    for (const [path, document] of fresh) {
      const key = path.slice(0, -MANIFEST_SUFFIX.length);
      const file = join(this.adoptedDir, path);
      // What the adopted folder holds there now: the same bytes are adopted already, other bytes are restored on refusal.
      const previous = readIfPresent(this.adoptedDir, path);
      if (previous?.equals(document.bytes)) continue;
      const digest = sha256(document.bytes);
      try {
        vetted.push({ path, key, file, document, digest, verified: this.store.vet(path, document.bytes, document.origin), previous });
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        refused.push(this.refuse(key, document, digest, error.code, error.reason, atMs));
      }
    }
    const staged = vetted.filter((v) => {
      const { driverId, inherits } = v.verified.document;
      if (inherits === undefined || this.store.get(driverId, inherits) !== undefined || vetted.some((o) => o.verified.document.driverId === driverId && o.verified.document.name === inherits)) return true;
      refused.push(this.refuse(v.key, v.document, RETRY, 'E_INHERITS', `/inherits: "${inherits}" is neither in force nor in the namespace yet; tried again when it is`, atMs));
      this.seen.delete(v.path);
      return false;
    });
    if (staged.length === 0) return refused.length > 0 ? { adopted: [], refused } : undefined;
    for (const s of staged) writeDurably(s.file, s.document.bytes, { file: 0o640 });
    let rejected: ReadonlyMap<string, ManifestError>;
    try {
      rejected = new Map(this.store.reload().rejected.map((e) => [e.file, e]));
    } catch (error) {
      // Nothing can be trusted now (trust root, anti-rollback state): the store keeps its index.
      for (const s of staged) restore(s.file, s.previous);
      for (const s of staged) this.seen.delete(s.path);
      throw error;
    }
    const adopted: Adopted[] = [];
    for (const s of staged) {
      const error = rejected.get(s.file);
      const admitted = this.store.admitted(s.key);
      if (error === undefined && admitted !== undefined) {
        const a = { personality: s.key, version: admitted.document.version, digest: admitted.document.digest, from: s.document.origin, atMs };
        this.adopted.set(s.key, a);
        this.refused.delete(s.key);
        adopted.push(a);
        this.logger.info(`adopted ${s.key} version ${a.version} from ${a.from}`);
        continue;
      }
      restore(s.file, s.previous);
      refused.push(this.refuse(s.key, s.document, s.digest, error?.code ?? 'E_NOT_ADMITTED', error?.reason ?? 'not admitted', atMs));
    }
    return { adopted, refused };
  }

  private refuse(key: string, document: NamespaceDocument, digest: string, code: string, text: string, atMs: number): Refused {
    const r = { personality: key, code, error: `${document.origin}: ${text}`, from: document.origin, atMs, digest };
    this.refused.set(key, r);
    const kept = this.adopted.get(key);
    this.logger.warn(`refused ${r.error} [${code}]; ${kept ? `version ${kept.version} stays adopted` : 'what was in force stays'}`);
    return r;
  }
}

/** The digest of a refusal that is tried again as soon as the namespace changes. */
const RETRY = '';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function safeList(dir: string, profile: string | undefined, logger: Logger): ReturnType<typeof listManifests> {
  try {
    return listManifests(dir, profile, logger);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/** What the adopted folder holds at `relativePath`, read as the store reads it: no link below the folder. */
function readIfPresent(adoptedDir: string, relativePath: string): Buffer | undefined {
  try {
    return new ConfinedFolder(adoptedDir).readFile(relativePath);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function restore(file: string, previous: Buffer | undefined): void {
  if (previous === undefined) rmSync(file, { force: true });
  else writeDurably(file, previous, { file: 0o640 });
}
