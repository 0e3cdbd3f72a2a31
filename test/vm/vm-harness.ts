/**
 * Runs commands on a real Linux kernel inside QEMU (TCG), for tests that need kernel features the
 * host kernel lacks (SocketCAN, our own kernel modules).
 *
 * The guest boots a busybox initramfs that loads virtio/9p/CAN modules, mounts the host root
 * read-only over 9p and chroots into it for every command, so host binaries (node, can-utils,
 * iproute2) and this checkout are visible inside. Requests travel over a second serial port (ttyS1,
 * raw mode, nothing else writes to it); command output comes back as a file on a small writable 9p
 * share; the console (ttyS0) carries kernel messages only. See test/vm/README.md.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_CANDIDATES, QEMU_BINARY, chooseKernel, findBusybox, onPath } from './vm-host.js';
import { buildInitramfs } from './vm-initramfs.js';
import { bootImage } from './vm-kernel-image.js';
import { startQemu } from './vm-qemu.js';

export { STANDARD_MODULES } from './vm-initramfs.js';

export type VmAvailability = { ok: true } | { ok: false; reason: string };

export interface BootOptions {
  /** Extra module files (.ko, .ko.xz, .ko.zst, .ko.gz) to insmod after the standard list, in order. */
  modules?: string[];
  /** Guest RAM in MiB; default 1024. */
  memoryMb?: number;
  /** Guest CPUs; default 2. */
  cpus?: number;
  /** Kernel image; default $PERSONA_VM_KERNEL, else the newest /boot/vmlinuz-* whose modules are installed. */
  kernel?: string;
  /** Default 120 000 (TCG on a busy CI runner can be slow). */
  bootTimeoutMs?: number;
  /** Progress lines (building, booting, boot time). Tests pass `(l) => t.comment(l)`. */
  log?: (line: string) => void;
  /** A host folder shared read-only into the guest (virtio-9p, uncached), seen at /run/<tag>; tag: letters, digits, '-'. */
  share?: { path: string; tag: string };
  /** Every guest console line (kernel messages, init diagnostics). PERSONA_VM_DEBUG=1 also copies them to stderr. */
  onConsole?: (line: string) => void;
}

export interface RunOptions {
  /** After this long the command's whole session is killed and run() rejects; default 60 000. */
  timeoutMs?: number;
  /** A user of the host's /etc/passwd (via setpriv, with a fresh environment); default root. */
  user?: string;
  /** Working directory in the chroot; default /. */
  cwd?: string;
}

export interface RunResult {
  exitCode: number;
  /** stdout and stderr, interleaved as written. */
  output: string;
  /** Host wall time from sending the command to having its result. */
  durationMs: number;
}

export interface Vm {
  /** `uname -r` as reported by the guest. */
  readonly kernelRelease: string;
  /** From starting QEMU to the guest's command loop being ready. */
  readonly bootMs: number;
  /**
   * Runs `/bin/sh -c command` as root (or opts.user) in the chroot with stdin from /dev/null.
   * Calls queue up and run one at a time. Background processes it starts keep running.
   */
  run(command: string, opts?: RunOptions): Promise<RunResult>;
  /** The kernel log (`dmesg` in the guest). */
  dmesg(): Promise<string>;
  /** `poweroff -f` in the guest, then waits for QEMU to exit (killing it after 15 s). Idempotent, never rejects. */
  shutdown(): Promise<void>;
  /** The last lines of the guest console, for diagnostics. */
  consoleTail(lines?: number): string;
}

/** Whether this host can boot a VM: QEMU, a readable kernel with its modules, static busybox, cpio. */
export function vmAvailable(): VmAvailability {
  const missing: string[] = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') missing.push(`an x86-64 Linux host (this is ${process.platform}/${process.arch})`);
  if (!onPath(QEMU_BINARY)) missing.push(`${QEMU_BINARY} (Debian: qemu-system-x86)`);
  if (!onPath('cpio')) missing.push('cpio (Debian: cpio)');
  if (!findBusybox()) missing.push(`a statically linked busybox at ${BUSYBOX_CANDIDATES.join(' or ')} (Debian: busybox-static)`);
  try {
    const kernel = chooseKernel();
    accessSync(kernel.image, constants.R_OK);
    if (!existsSync(join(kernel.moduleDir, 'kernel'))) throw new Error(`no modules for ${kernel.release} in ${kernel.moduleDir}`);
  } catch (err) {
    missing.push(`a readable kernel image with modules: ${(err as Error).message}`);
  }
  return missing.length ? { ok: false, reason: `QEMU VM tests need ${missing.join('; ')}` } : { ok: true };
}

// ---------------------------------------------------------------------------------------------
// Kernel log

const PROBLEM_PATTERNS: readonly RegExp[] = [
  /\bBUG\b/,
  /\bWARNING\b/,
  /\bOops\b/,
  /general protection/,
  /Call Trace/,
  /Kernel panic/,
  /\b[UK]ASAN:/,
];

/** The lines of a kernel log that show a kernel problem: BUG, WARNING, Oops, general protection, Call Trace, panic, UBSAN/KASAN. */
export function kernelProblems(dmesg: string): string[] {
  return dmesg
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((line) => PROBLEM_PATTERNS.some((re) => re.test(line)));
}

/** Boots a VM; resolves once it accepts commands. Always `shutdown()` it (e.g. in t.teardown). */
export async function bootVm(options: BootOptions = {}): Promise<Vm> {
  const log = options.log ?? ((): void => undefined);
  const availability = vmAvailable();
  if (!availability.ok) throw new Error(availability.reason);
  const kernel = chooseKernel(options.kernel);
  for (const m of options.modules ?? []) statSync(m); // ENOENT with the path, before any work
  const initramfs = buildInitramfs(kernel, options.modules ?? [], log);
  const image = bootImage(kernel, log);
  const vm = await startQemu(kernel, image, initramfs, options, log);
  await vm.waitReady(options.bootTimeoutMs ?? 120_000);
  log(`booted ${vm.kernelRelease} in ${(vm.bootMs / 1000).toFixed(1)} s`);
  return vm;
}
