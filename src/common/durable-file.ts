import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DurableWriteModes {
  /** The file's mode when it is created; default 0644. */
  readonly file?: number;
  /** The mode of folders created on the way; default 0755. */
  readonly folder?: number;
}

/**
 * Writes a temporary file next to `file`, flushes it, renames it over `file` and flushes the
 * folder: a reader, or a power cut, sees the old content or the new, never part of either.
 * On failure the temporary file is removed (only one this call created: the path may be
 * something else entirely) and the error is thrown as it came.
 */
export function writeDurably(file: string, bytes: Uint8Array | string, modes: DurableWriteModes = {}): void {
  const folder = dirname(file);
  mkdirSync(folder, { recursive: true, mode: modes.folder ?? 0o755 });
  const temporary = `${file}.${process.pid}.tmp`;
  let created = false;
  try {
    const fd = openSync(temporary, 'w', modes.file ?? 0o644);
    created = true;
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    syncFolder(folder);
  } catch (error) {
    if (created) rmSync(temporary, { force: true });
    throw error;
  }
}

/** Makes the rename itself durable. */
function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
