import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { ConfinedFolder, isMissing, linkError } from '../manifests/confined-file.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { MANIFEST_SUFFIX } from '../manifests/personality-place.js';
import { contextPath, PERSONALITIES_PATH, personalitiesFolder } from './namespace-layout.js';
import { OnceWarnings } from './once-warnings.js';
import { MAX_NAMESPACE_ENTRIES, sameSnapshot, type NamespaceDocument, type NamespaceSnapshot, type NamespaceSource } from './namespace-source.js';

/**
 * The namespace as a folder the hypervisor shares into the guest read-only (virtio-9p,
 * virtiofs). Neither reliably tells a guest about changes made on the host, so it is
 * polled: every `pollMs` the context and the personalities for this instance's profile
 * are read, and the listener hears of it when any byte differs from the last reading.
 */
export class DirectoryNamespace implements NamespaceSource {
  readonly describe: string;
  private readonly warnings: OnceWarnings;
  /** The root is followed as configured; nothing below it is read through a link. */
  private readonly share: ConfinedFolder;
  private cancel: (() => void) | undefined;
  private last: NamespaceSnapshot | undefined;

  constructor(
    private readonly root: string,
    private readonly instanceId: string,
    private readonly profile: string | undefined,
    private readonly pollMs: number,
    private readonly clock: Clock,
    logger: Logger,
  ) {
    this.describe = `dir:${root}`;
    this.share = new ConfinedFolder(root);
    this.warnings = new OnceWarnings(logger);
  }

  start(listener: (snapshot: NamespaceSnapshot) => void): void {
    const poll = (): void => {
      let snapshot: NamespaceSnapshot;
      try {
        snapshot = this.read();
      } catch (error) {
        this.warnings.warn(`reading ${this.root} failed, the last reading stays: ${(error as Error).message}`);
        return;
      }
      if (this.last !== undefined && sameSnapshot(this.last, snapshot)) return;
      this.last = snapshot;
      listener(snapshot);
    };
    poll();
    this.cancel = this.clock.every(this.pollMs, poll);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  /**
   * Reads the namespace now. Only real folders and regular files count: a symbolic link
   * anywhere below the root (`personalities/`, `instances/<id>/`, a driver or profile folder,
   * the file itself) is refused with E_LINK, said once, whatever it points at, and what it
   * stands for is read as absent, which changes nothing: a context stays until it goes
   * stale, and a personality withdrawn stays adopted.
   */
  read(): NamespaceSnapshot {
    const personalities = new Map<string, NamespaceDocument>();
    for (const driver of this.entries(PERSONALITIES_PATH).filter((e) => e.isDirectory())) {
      const driverFolder = `${PERSONALITIES_PATH}/${driver.name}`;
      const inDriver = this.entries(driverFolder);
      this.take(personalities, driver.name, inDriver);
      const profile = inDriver.find((e) => e.name === this.profile && e.isDirectory());
      if (profile !== undefined) this.take(personalities, `${driver.name}/${profile.name}`, this.entries(`${driverFolder}/${profile.name}`));
    }
    return { context: this.document(contextPath(this.instanceId), true), personalities };
  }

  /** Documents of `entries`, a folder at `folder` inside `personalities/`. */
  private take(into: Map<string, NamespaceDocument>, folder: string, entries: readonly Dirent[]): void {
    for (const entry of entries.filter((e) => e.name.endsWith(MANIFEST_SUFFIX))) {
      if (into.size >= MAX_NAMESPACE_ENTRIES) {
        this.warnings.warn(`more than ${MAX_NAMESPACE_ENTRIES} personalities under ${personalitiesFolder(this.root)}; the rest are ignored`);
        return;
      }
      const document = this.document(`${PERSONALITIES_PATH}/${folder}/${entry.name}`);
      if (document !== null) into.set(`${folder}/${entry.name}`, document);
    }
  }

  /**
   * The bytes of the file at `relativePath`, or null (said once) when it cannot be read, is
   * reached through a link, is no regular file or is too big to be a document; null unsaid
   * when it may be missing (an instance without a context).
   */
  private document(relativePath: string, mayBeMissing = false): NamespaceDocument | null {
    try {
      return { bytes: this.share.readFile(relativePath), origin: `dir:${join(this.root, relativePath)}` };
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      if (mayBeMissing && isMissing(error)) return null;
      this.warnings.warn(`skipped ${error.message} [${error.code}]`);
      return null;
    }
  }

  /**
   * The entries of the folder at `relativePath`, but links, in code-unit order; a folder that
   * is missing, unreadable or reached through a link is empty, said once.
   */
  private entries(relativePath: string): Dirent[] {
    let entries: Dirent[];
    try {
      entries = this.share.list(relativePath);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
      this.warnings.warn(error.code === 'E_READ' && cause !== undefined ? `cannot read ${join(this.root, relativePath)} (${cause}); taken as empty` : `skipped ${error.message} [${error.code}]`);
      return [];
    }
    return entries.filter((e) => {
      if (!e.isSymbolicLink()) return true;
      const link = join(this.root, relativePath, e.name);
      const error = linkError(link, link, this.root);
      this.warnings.warn(`skipped ${error.message} [${error.code}]`);
      return false;
    });
  }
}
