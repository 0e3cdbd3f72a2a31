import { readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeDurably } from '../common/durable-file.js';
import type { Logger } from '../common/logger.js';
import type { ManifestError } from '../manifests/manifest-error.js';
import { listManifests, MANIFEST_SUFFIX } from '../manifests/manifest-layout.js';
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

/** A file of the namespace refused, and why; its bytes are not tried again. */
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
        if (admitted) this.adopted.set(location.key, { personality: location.key, version: admitted.document.version, digest: admitted.document.digest, from: `dir:${location.file}`, atMs: 0 });
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
   * Adopts what is new in `personalities` (paths inside `personalities/`).
   * @returns what changed, or undefined when nothing was new
   */
  adopt(personalities: ReadonlyMap<string, NamespaceDocument>): AdoptionOutcome | undefined {
    const staged = [...personalities]
      .filter(([path]) => isForProfile(path, this.profile))
      .map(([path, document]) => ({ path, key: path.slice(0, -MANIFEST_SUFFIX.length), file: join(this.adoptedDir, path), document, digest: sha256(document.bytes) }))
      .filter((s) => this.refused.get(s.key)?.digest !== s.digest)
      .map((s) => ({ ...s, previous: readIfPresent(s.file) }))
      .filter((s) => s.previous === undefined || !s.previous.equals(s.document.bytes));
    if (staged.length === 0) return undefined;
    for (const s of staged) writeDurably(s.file, s.document.bytes, 0o640);
    const atMs = this.now();
    let rejected: ReadonlyMap<string, ManifestError>;
    try {
      rejected = new Map(this.store.reload().rejected.map((e) => [e.file, e]));
    } catch (error) {
      // Nothing can be trusted now (trust root, anti-rollback state): the store keeps its index.
      for (const s of staged) restore(s.file, s.previous);
      throw error;
    }
    const adopted: Adopted[] = [];
    const refused: Refused[] = [];
    for (const s of staged) {
      const error = rejected.get(s.file);
      const admitted = this.store.admitted(s.key);
      if (error === undefined && admitted?.document.digest !== undefined) {
        const a = { personality: s.key, version: admitted.document.version, digest: admitted.document.digest, from: s.document.origin, atMs };
        this.adopted.set(s.key, a);
        this.refused.delete(s.key);
        adopted.push(a);
        this.logger.info(`adopted ${s.key} version ${a.version} from ${a.from}`);
        continue;
      }
      restore(s.file, s.previous);
      const code = error?.code ?? 'E_NOT_ADMITTED';
      const text = error ? `${error.path ? `${error.path}: ` : ''}${error.text}` : 'not admitted';
      const r = { personality: s.key, code, error: `${s.document.origin}: ${text}`, from: s.document.origin, atMs, digest: s.digest };
      this.refused.set(s.key, r);
      refused.push(r);
      this.logger.warn(`refused ${r.error} [${code}]; ${this.adopted.has(s.key) ? `version ${this.adopted.get(s.key)!.version} stays adopted` : 'what was in force stays'}`);
    }
    return { adopted, refused };
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function safeList(dir: string, profile: string | undefined, logger: Logger): ReturnType<typeof listManifests> {
  try {
    return listManifests(dir, profile, logger);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function restore(file: string, previous: Buffer | undefined): void {
  if (previous === undefined) rmSync(file, { force: true });
  else writeDurably(file, previous, 0o640);
}
