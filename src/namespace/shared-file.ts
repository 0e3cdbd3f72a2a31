import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { checkSize } from '../manifests/bounded-json.js';
import { ManifestError } from '../manifests/manifest-error.js';

/** At most this many personalities are taken from a namespace: far above any real set, and a bound on what a flood costs. */
export const MAX_NAMESPACE_ENTRIES = 256;

/**
 * Reads a file of a folder someone else writes: never through a symbolic link (which could
 * point at a secret or at /proc), only a regular file, and never more than a document may be
 * (the size is checked on the open file, and no more than that is read even if it grows).
 * @throws ManifestError E_READ or E_SIZE naming `file`
 */
export function readSharedFile(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError('E_READ', file, code === 'ELOOP' ? 'is a symbolic link: not followed in a shared folder' : (error as Error).message, undefined, { cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ManifestError('E_READ', file, 'not a regular file');
    checkSize(stat.size, file);
    const bytes = Buffer.alloc(stat.size);
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
