/**
 * The kernel image QEMU boots: the uncompressed vmlinux through PVH when possible (skips ~2.5 s of
 * in-guest decompression under TCG), else the bzImage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CACHE_DIR, sha256, type KernelChoice } from './vm-host.js';

const COMPRESSED_KERNEL_MAGICS: ReadonlyArray<{ magic: Buffer; decompress: (data: Buffer) => Buffer }> = [
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), decompress: (d) => runFilter('xz', ['-dc', '--single-stream'], d) },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), decompress: (d) => runFilter('zstd', ['-dc'], d) },
  { magic: Buffer.from([0x1f, 0x8b, 0x08]), decompress: (d) => gunzipSync(d) },
];

function runFilter(tool: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(tool, args, { input, maxBuffer: 1024 * 1024 * 1024 });
  if (r.error) throw r.error;
  // zstd and xz may complain about the bzImage bytes after the payload; the ELF check below decides.
  return r.stdout;
}

export function bootImage(kernel: KernelChoice, log: (line: string) => void): string {
  let config = '';
  try {
    config = readFileSync(`/boot/config-${kernel.release}`, 'utf8');
  } catch {
    return kernel.image;
  }
  if (!/^CONFIG_PVH=y$/m.test(config)) return kernel.image;
  const bzImage = readFileSync(kernel.image);
  const target = join(CACHE_DIR, `vmlinux-${kernel.release}-${sha256(bzImage).slice(0, 16)}`);
  if (existsSync(target)) return target;
  for (const { magic, decompress } of COMPRESSED_KERNEL_MAGICS) {
    const at = bzImage.indexOf(magic);
    if (at < 0) continue;
    try {
      const elf = decompress(bzImage.subarray(at));
      if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) continue;
      mkdirSync(CACHE_DIR, { recursive: true });
      const partial = `${target}.${process.pid}.tmp`;
      writeFileSync(partial, elf);
      renameSync(partial, target);
      log(`extracted uncompressed kernel for PVH boot: ${target}`);
      return target;
    } catch {
      // try the next format
    }
  }
  log(`could not extract vmlinux from ${kernel.image}; booting the compressed image`);
  return kernel.image;
}
