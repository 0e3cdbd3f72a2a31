/**
 * What the harness needs from the host: QEMU and cpio on PATH, a statically linked busybox and a
 * kernel image with its modules; and the cache the images built from them go to.
 */
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';

export const QEMU_BINARY = 'qemu-system-x86_64';
export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
export const CACHE_DIR = join(tmpdir(), 'persona-vm-cache');

export interface KernelChoice {
  image: string;
  release: string;
  moduleDir: string;
}

/**
 * The PATH of the commands the guest runs. They run in a chroot of the host's /, as root, so the
 * tools they call are the host's, looked for in root's folders: on Debian, ethtool is in /usr/sbin,
 * which is not on an ordinary user's PATH.
 */
export const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The executable `binary` in a folder of `path` (the host's PATH unless given), or undefined. */
export function onPath(binary: string, path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** True for a 64-bit little-endian ELF without a program interpreter, i.e. statically linked. */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    if (readSync(fd, header, 0, 64, 0) < 64) return false;
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

export function findBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((p) => existsSync(p) && isStaticElf(p));
}

export function chooseKernel(explicit?: string): KernelChoice {
  const image = explicit ?? process.env.PERSONA_VM_KERNEL;
  if (image) {
    const release = basename(image).replace(/^vmlinuz-/, '');
    return { image, release, moduleDir: join('/lib/modules', release) };
  }
  let names: string[] = [];
  try {
    names = readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-'));
  } catch {
    // no /boot at all
  }
  const usable = names
    .map((n) => {
      const release = n.slice('vmlinuz-'.length);
      return { image: join('/boot', n), release, moduleDir: join('/lib/modules', release) };
    })
    .filter((k) => existsSync(join(k.moduleDir, 'kernel')))
    .sort((a, b) => b.release.localeCompare(a.release, 'en', { numeric: true }));
  const best = usable[0];
  if (!best) {
    throw new Error(
      names.length
        ? `no /boot/vmlinuz-* has modules in /lib/modules/<release>/kernel (found ${names.join(', ')})`
        : 'no /boot/vmlinuz-* (Debian: linux-image-amd64)',
    );
  }
  return best;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
