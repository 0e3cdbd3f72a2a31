import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { MANIFEST_SUFFIX } from '../manifests/manifest-layout.js';
import { contextFile, personalitiesFolder } from './namespace-layout.js';
import { OnceWarnings } from './once-warnings.js';
import { MAX_NAMESPACE_ENTRIES, readSharedFile } from './shared-file.js';
import { sameSnapshot, type NamespaceDocument, type NamespaceSnapshot, type NamespaceSource } from './namespace-source.js';

/**
 * The namespace as a folder the hypervisor shares into the guest read-only (virtio-9p,
 * virtiofs). Neither reliably tells a guest about changes made on the host, so it is
 * polled: every `pollMs` the context and the personalities for this instance's profile
 * are read, and the listener hears of it when any byte differs from the last reading.
 */
export class DirectoryNamespace implements NamespaceSource {
  readonly describe: string;
  private readonly warnings: OnceWarnings;
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
   * Reads the namespace now. Only real folders and regular files count: a symbolic link in
   * a folder the host writes is skipped, said once, whatever it points at.
   */
  read(): NamespaceSnapshot {
    const personalities = new Map<string, NamespaceDocument>();
    const folder = personalitiesFolder(this.root);
    for (const driver of this.entries(folder).filter((e) => e.isDirectory())) {
      const driverFolder = join(folder, driver.name);
      const inDriver = this.entries(driverFolder);
      this.take(personalities, driver.name, inDriver);
      const profile = inDriver.find((e) => e.name === this.profile && e.isDirectory());
      if (profile !== undefined) this.take(personalities, `${driver.name}/${profile.name}`, this.entries(join(driverFolder, profile.name)));
    }
    return { context: this.document(contextFile(this.root, this.instanceId), true), personalities };
  }

  private take(into: Map<string, NamespaceDocument>, folder: string, entries: readonly Dirent[]): void {
    for (const entry of entries.filter((e) => e.name.endsWith(MANIFEST_SUFFIX))) {
      if (into.size >= MAX_NAMESPACE_ENTRIES) {
        this.warnings.warn(`more than ${MAX_NAMESPACE_ENTRIES} personalities under ${personalitiesFolder(this.root)}; the rest are ignored`);
        return;
      }
      const document = this.document(join(personalitiesFolder(this.root), folder, entry.name));
      if (document !== null) into.set(`${folder}/${entry.name}`, document);
    }
  }

  /**
   * A file's bytes, or null (said once) when it cannot be read, is no regular file or is too
   * big to be a document; null unsaid when it may be missing (an instance without a context).
   */
  private document(file: string, mayBeMissing = false): NamespaceDocument | null {
    try {
      return { bytes: readSharedFile(file), origin: `dir:${file}` };
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      if (mayBeMissing && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
      this.warnings.warn(`skipped ${error.message} [${error.code}]`);
      return null;
    }
  }

  /** A folder's entries (not followed if links) in code-unit order; a folder that is missing or unreadable is empty, said once. */
  private entries(folder: string): Dirent[] {
    try {
      return readdirSync(folder, { withFileTypes: true })
        .filter((e) => !e.name.startsWith('.'))
        .filter((e) => {
          if (!e.isSymbolicLink()) return true;
          this.warnings.warn(`skipped ${join(folder, e.name)}: a symbolic link, not followed in a shared folder`);
          return false;
        })
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.warnings.warn(`cannot read ${folder} (${code ?? (error as Error).message}); taken as empty`);
      return [];
    }
  }
}
