import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { readDocumentFile } from '../manifests/document-file.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { MANIFEST_SUFFIX } from '../manifests/manifest-layout.js';
import { contextFile, personalitiesFolder } from './namespace-layout.js';
import { sameSnapshot, type NamespaceDocument, type NamespaceSnapshot, type NamespaceSource } from './namespace-source.js';

/**
 * The namespace as a folder the hypervisor shares into the guest read-only (virtio-9p,
 * virtiofs). Neither reliably tells a guest about changes made on the host, so it is
 * polled: every `pollMs` the context and the personalities for this instance's profile
 * are read, and the listener hears of it when any byte differs from the last reading.
 */
export class DirectoryNamespace implements NamespaceSource {
  readonly describe: string;
  private cancel: (() => void) | undefined;
  private last: NamespaceSnapshot | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly instanceId: string,
    private readonly profile: string | undefined,
    private readonly pollMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.describe = `dir:${root}`;
  }

  start(listener: (snapshot: NamespaceSnapshot) => void): void {
    const poll = (): void => {
      const snapshot = this.read();
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

  /** Reads the namespace now. */
  read(): NamespaceSnapshot {
    const personalities = new Map<string, NamespaceDocument>();
    const folder = personalitiesFolder(this.root);
    for (const driver of this.list(folder)) {
      const driverFolder = join(folder, driver);
      if (!isFolder(driverFolder)) continue;
      for (const name of this.list(driverFolder).filter((n) => n.endsWith(MANIFEST_SUFFIX))) this.take(personalities, `${driver}/${name}`);
      if (this.profile === undefined || !isFolder(join(driverFolder, this.profile))) continue;
      for (const name of this.list(join(driverFolder, this.profile)).filter((n) => n.endsWith(MANIFEST_SUFFIX))) this.take(personalities, `${driver}/${this.profile}/${name}`);
    }
    const file = contextFile(this.root, this.instanceId);
    const context = isFile(file) ? this.document(file) : null;
    return { context, personalities };
  }

  private take(into: Map<string, NamespaceDocument>, relativePath: string): void {
    const document = this.document(join(personalitiesFolder(this.root), relativePath));
    if (document !== null) into.set(relativePath, document);
  }

  /** A file's bytes, or null (said once) when it cannot be read or is too big to be a document. */
  private document(file: string): NamespaceDocument | null {
    try {
      return { bytes: Buffer.from(readDocumentFile(file)), origin: `dir:${file}` };
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      this.warnOnce(`namespace: skipped ${error.message} [${error.code}]`);
      return null;
    }
  }

  /** A folder's entries in code-unit order; a folder that is missing or unreadable is empty, said once. */
  private list(folder: string): string[] {
    try {
      return readdirSync(folder).filter((n) => !n.startsWith('.')).sort();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.warnOnce(`namespace: cannot read ${folder} (${code ?? (error as Error).message}); taken as empty`);
      return [];
    }
  }

  private warnOnce(text: string): void {
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.logger.warn(text);
  }
}

function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}
