import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
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

/**
 * writeDurably without blocking the event loop: the writes and flushes run on libuv's thread
 * pool, so frames, applies and publishes go on while the storage flushes (tens of milliseconds
 * on a busy flash). Calls for the same file must not overlap: the temporary file is one.
 */
export async function writeDurablyAsync(file: string, bytes: Uint8Array | string, modes: DurableWriteModes = {}): Promise<void> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true, mode: modes.folder ?? 0o755 });
  const temporary = `${file}.${process.pid}.tmp`;
  let created = false;
  try {
    const handle = await open(temporary, 'w', modes.file ?? 0o644);
    created = true;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    const folderHandle = await open(folder, 'r');
    try {
      await folderHandle.sync();
    } finally {
      await folderHandle.close();
    }
  } catch (error) {
    if (created) await rm(temporary, { force: true });
    throw error;
  }
}
