import { readFileSync, statSync } from 'node:fs';
import { checkSize } from './bounded-json.js';
import { ManifestError } from './manifest-error.js';

/**
 * Reads a manifest, trust root or envelope to verify. The size is checked on the
 * file before it is read, so an oversize file costs nothing (the parser checks the
 * bytes again, in case the file grew in between).
 * @throws ManifestError E_READ or E_SIZE
 */
export function readDocumentFile(file: string): Uint8Array {
  try {
    const stat = statSync(file);
    // Only regular files: reading a FIFO or device would block or never end.
    if (!stat.isFile()) throw new ManifestError('E_READ', file, 'not a regular file');
    checkSize(stat.size, file);
    return readFileSync(file);
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    const text = error instanceof Error ? error.message : String(error);
    throw new ManifestError('E_READ', file, text, undefined, { cause: error });
  }
}
