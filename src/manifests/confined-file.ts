import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync, type Dirent, type Stats } from 'node:fs';
import { join } from 'node:path';
import { checkSize } from './bounded-json.js';
import { ManifestError } from './manifest-error.js';

/**
 * The one way persona reads the files it trusts or checks: the bundled manifests and trust
 * root, the personalities it adopted, and a shared namespace (docs/manifests.md, "Links").
 *
 * The policy: a root is a folder someone configured (`manifests`, `trust`, `manifestState`,
 * a `dir:` namespace) and is followed as given, since an image may well link
 * /etc/persona/manifests to a read-only partition. Below the root nothing is a symbolic link:
 * every component from the root to the file is looked at with lstat, and a link anywhere is
 * refused with E_LINK naming it, whatever it points at. A file must be a regular file no
 * larger than a document may be.
 *
 * A folder swapped for a link between the walk and the open cannot smuggle in another file:
 * the file is opened without following a last link, and what was opened must be the very
 * file (device and inode) a walk without links found there.
 */
export class ConfinedFolder {
  /**
   * @param root followed as given
   * @param relative where this folder is below `root` ('' for the root itself)
   */
  constructor(
    readonly root: string,
    readonly relative = '',
  ) {
    components(root, relative);
  }

  /**
   * `folder` as seen from `root` when it lies below it, so that none of its components below
   * `root` may be a link (the default `manifests/trust` below `manifests`); else its own root.
   */
  static within(folder: string, root: string): ConfinedFolder {
    const rootPrefix = join(root, '/');
    const path = join(folder);
    return path.startsWith(rootPrefix) ? new ConfinedFolder(root, path.slice(rootPrefix.length).replace(/\/$/, '')) : new ConfinedFolder(folder);
  }

  /** The folder's path as given: what errors and origins name. */
  get path(): string {
    return join(this.root, this.relative);
  }

  /**
   * The bytes of the regular file at `relativePath`.
   * @throws ManifestError E_LINK naming the component that is a link, E_SIZE, or E_READ
   *   (with the fs error as its cause: ENOENT when it is missing)
   */
  readFile(relativePath: string): Buffer {
    const relative = joinRelative(this.relative, relativePath);
    const file = join(this.root, relative);
    const walked = walk(this.root, relative);
    if (!walked.isFile()) throw new ManifestError('E_READ', file, 'not a regular file');
    checkSize(walked.size, file);
    return readOpened(file, constants.O_NOFOLLOW, (opened) => {
      // A rename in between (the host rewrites a context that way) is no attack: walk again.
      if (!sameFile(opened, walked) && !sameFile(opened, walk(this.root, relative))) {
        throw new ManifestError('E_READ', file, 'changed while it was read; it is read again next time');
      }
    });
  }

  /**
   * The entries of the folder at `relativePath` ('' for this one), links among them as links,
   * in code-unit order; hidden ones are left out. Each file is read with its own walk, so a
   * listing taken through a folder swapped in meanwhile yields names and never bytes.
   * @throws ManifestError E_LINK, or E_READ (the fs error as cause) when it is no folder
   */
  list(relativePath = ''): Dirent[] {
    const relative = joinRelative(this.relative, relativePath);
    const folder = join(this.root, relative);
    if (!walk(this.root, relative).isDirectory()) throw new ManifestError('E_READ', folder, 'not a folder');
    try {
      return readdirSync(folder, { withFileTypes: true })
        .filter((e) => !e.name.startsWith('.'))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch (error) {
      throw new ManifestError('E_READ', folder, (error as Error).message, undefined, { cause: error });
    }
  }

  /**
   * What is at `relativePath` (lstat: a link is a link), or undefined when nothing is.
   * @throws ManifestError E_LINK when a folder on the way is a link
   */
  stat(relativePath: string): Stats | undefined {
    try {
      return walk(this.root, joinRelative(this.relative, relativePath));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }
}

/** Whether a read of a ConfinedFolder failed only because nothing is there. */
export function isMissing(error: unknown): boolean {
  return error instanceof ManifestError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * A file named by whoever runs persona (a command-line argument): the name is its own root
 * and is followed as given; it must still be a regular file no larger than a document.
 * @throws ManifestError E_SIZE or E_READ
 */
export function readNamedFile(file: string): Buffer {
  return readOpened(file, 0, () => undefined);
}

/**
 * Opens `file` (with O_NOFOLLOW, a link swapped in after a walk fails with E_LINK), checks
 * the open file is a regular file of bounded size, lets `check` vet it, and reads it; no more
 * than the size checked is read even if the file grows.
 */
function readOpened(file: string, noFollow: number, check: (opened: Stats) => void): Buffer {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO put in a file's place must not hang the reader.
    fd = openSync(file, constants.O_RDONLY | noFollow | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw linkError(file, file, undefined, { cause: error });
    throw new ManifestError('E_READ', file, (error as Error).message, undefined, { cause: error });
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new ManifestError('E_READ', file, 'not a regular file');
    checkSize(opened.size, file);
    check(opened);
    const bytes = Buffer.alloc(opened.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError('E_READ', file, (error as Error).message, undefined, { cause: error });
  } finally {
    closeSync(fd);
  }
}

/**
 * lstat of each component of `relative` below `root`; the root itself is followed. A
 * component below one that is no folder fails with ENOTDIR, as the fs says.
 * @returns the stat of the last component (of the root when `relative` is '')
 * @throws ManifestError E_LINK naming the first component that is a link, E_READ with the fs error as cause
 */
function walk(root: string, relative: string): Stats {
  const target = join(root, relative);
  let path = root;
  let stats = fsStat(target, () => statSync(root));
  for (const part of components(root, relative)) {
    path = join(path, part);
    const current = path;
    stats = fsStat(target, () => lstatSync(current));
    if (stats.isSymbolicLink()) throw linkError(target, current, root);
  }
  return stats;
}

function fsStat(file: string, stat: () => Stats): Stats {
  try {
    return stat();
  } catch (error) {
    throw new ManifestError('E_READ', file, (error as Error).message, undefined, { cause: error });
  }
}

/**
 * The components of a path below a root: plain names only, so that no path of ours, nor a
 * name taken from configuration (an instance id), can climb out of the root.
 */
function components(root: string, relative: string): string[] {
  if (relative === '') return [];
  const parts = relative.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new ManifestError('E_READ', join(root, relative), `"${relative}" is not a plain path below ${root}`);
  }
  return parts;
}

function joinRelative(folder: string, relativePath: string): string {
  return folder === '' ? relativePath : relativePath === '' ? folder : `${folder}/${relativePath}`;
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * E_LINK for `file`, naming `link`, the component from `root` to it that is a symbolic link.
 * @param root undefined when the link was found by the open, after the walk
 */
export function linkError(file: string, link: string, root: string | undefined, options?: ErrorOptions): ManifestError {
  const what = link === file ? 'is a symbolic link' : `${link} is a symbolic link`;
  return new ManifestError('E_LINK', file, root === undefined ? `${what}, not followed` : `${what}, not followed below ${root}`, undefined, options);
}
