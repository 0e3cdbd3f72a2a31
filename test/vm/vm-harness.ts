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
import { packageRoot } from '../../src/common/package-root.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Modules the guest needs for the 9p shares and SocketCAN, loaded in this order. */
export const STANDARD_MODULES: readonly string[] = [
  'virtio_ring',
  'virtio',
  'virtio_pci_legacy_dev',
  'virtio_pci_modern_dev',
  'virtio_pci',
  'netfs',
  'fscache',
  '9pnet',
  '9pnet_virtio',
  '9p',
  'can',
  'can-raw',
  'can-dev',
  'vcan',
];

/** Bump when the initramfs layout or the init protocol changes, to invalidate cached images. */
const FORMAT_VERSION = 4;
const QEMU_BINARY = 'qemu-system-x86_64';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const CONSOLE_TAIL_LINES = 50;
/** Linux limits one argv string (MAX_ARG_STRLEN) to 128 KiB; the command is one. */
const MAX_COMMAND_BYTES = 120 * 1024;
const CACHE_DIR = join(tmpdir(), 'persona-vm-cache');

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

interface KernelChoice {
  image: string;
  release: string;
  moduleDir: string;
}

// ---------------------------------------------------------------------------------------------
// Host checks

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
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

function findBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((p) => existsSync(p) && isStaticElf(p));
}

function chooseKernel(explicit?: string): KernelChoice {
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

// ---------------------------------------------------------------------------------------------
// Kernel image: boot the uncompressed vmlinux through PVH when possible (skips ~2.5 s of in-guest
// decompression under TCG), else the bzImage.

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

function bootImage(kernel: KernelChoice, log: (line: string) => void): string {
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

// ---------------------------------------------------------------------------------------------
// Initramfs

/**
 * PID 1 of the guest. Requests on ttyS1, one per line: `RUN <id> <secs> <user|-> .` or `OFF .`.
 * The command text of request <id> is /x/<id>.cmd and its output goes to /x/<id>.out (/x is the
 * host's xfer directory over 9p); then `@@VMH-END <id> <exit code> <T if timed out, else ->` goes
 * back on ttyS1. Only short lines cross the serial port, which is slow (~25 KB/s).
 */
const INIT_SCRIPT = String.raw`#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /mnt /w /x
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
fail() {
  echo "@@VMH-FAIL $*"
  poweroff -f
  sleep 60
}
mount -t sysfs sys /sys || fail "mount /sys"
mount -t devtmpfs dev /dev || fail "mount /dev"
for m in /modules/*.ko; do
  [ -e "$m" ] || continue
  insmod "$m" || fail "insmod $m"
done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /mnt || fail "mount 9p host root"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 xfer /x || fail "mount 9p xfer"
for f in $VMH_PREWARM; do cat "/mnt$f" >/dev/null 2>&1 & done
mount -t proc proc /mnt/proc || fail "mount /mnt/proc"
mount -t sysfs sys /mnt/sys || fail "mount /mnt/sys"
mount -t devtmpfs dev /mnt/dev || fail "mount /mnt/dev"
mkdir -p /mnt/dev/pts /mnt/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /mnt/dev/pts || fail "mount /mnt/dev/pts"
mount -t tmpfs -o mode=1777 shm /mnt/dev/shm || fail "mount /mnt/dev/shm"
mkdir -p /hosttmp
mount -o bind /mnt/tmp /hosttmp || fail "bind the host's /tmp"
mount -t tmpfs -o mode=1777 tmp /mnt/tmp || fail "mount /mnt/tmp"
# The guest's /tmp is its own; host folders under /tmp that must stay visible (the project) are bound back.
for p in $VMH_KEEP; do
  sub=$(echo "$p" | sed 's#^/tmp##')
  mkdir -p "/mnt$p" && mount -o bind "/hosttmp$sub" "/mnt$p" || fail "keep $p visible"
done
mount -t tmpfs -o mode=755 run /mnt/run || fail "mount /mnt/run"
ip link set lo up
exec 3<>/dev/ttyS1 || fail "open /dev/ttyS1"
stty 115200 raw -echo <&3 || fail "stty ttyS1"

ENVS="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp USER=root LOGNAME=root"

run_cmd() {
  id=$1 secs=$2 user=$3
  out=/w/$id.out tmo=/w/$id.timeout
  cmd=$(cat "/x/$id.cmd") || { echo "@@VMH-ERROR cannot read /x/$id.cmd" >&3; return; }
  if [ "$user" = - ]; then
    setsid env -i $ENVS chroot /mnt /bin/sh -c "$cmd" </dev/null >"$out" 2>&1 &
  else
    setsid env -i $ENVS chroot /mnt /bin/sh -c 'exec setpriv --reuid="$1" --regid="$(id -g -- "$1")" --init-groups --reset-env /bin/sh -c "$2"' vmh "$user" "$cmd" </dev/null >"$out" 2>&1 &
  fi
  pid=$!
  setsid sh -c 'sleep "$1"; if kill -0 "$2"; then : > "$3"; kill -KILL -- "-$2"; fi' watchdog "$secs" "$pid" "$tmo" </dev/null >/dev/null 2>&1 &
  wpid=$!
  wait "$pid" 2>/dev/null
  rc=$?
  kill -KILL -- "-$wpid" 2>/dev/null
  wait "$wpid" 2>/dev/null
  flag=-
  [ -e "$tmo" ] && flag=T
  cat "$out" > "/x/$id.out"
  echo "@@VMH-END $id $rc $flag" >&3
  rm -f "$out" "$tmo"
}

# The loop runs in a child of PID 1: orphaned processes are reparented to PID 1, so their
# SIGCHLD never interrupts the loop's read (which would split a request line).
command_loop() {
  while IFS= read -r line <&3; do
    set -f
    set -- $line
    set +f
    if [ "$1" = RUN ] && [ $# -eq 5 ] && [ "$5" = . ]; then
      run_cmd "$2" "$3" "$4"
    elif [ "$1" = OFF ] && [ $# -eq 2 ] && [ "$2" = . ]; then
      echo "@@VMH-BYE" >&3
      poweroff -f
      sleep 60
    else
      echo "@@VMH-ERROR malformed request: $(printf '%s' "$line" | head -c 60)" >&3
    fi
  done
}

echo "@@VMH-READY $(uname -r)"
echo "@@VMH-READY $(uname -r)" >&3
( command_loop )
fail "command loop ended"
`;

interface ModuleFile {
  name: string;
  contents: Buffer;
}

function normalizeModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

function stripModuleExtension(file: string): string | undefined {
  return /^(.*)\.ko(?:\.(?:xz|zst|gz))?$/.exec(file)?.[1];
}

function indexModules(kernelDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const name = stripModuleExtension(entry.name);
      if (name !== undefined && !index.has(normalizeModuleName(name))) index.set(normalizeModuleName(name), path);
    }
  };
  walk(kernelDir);
  return index;
}

function builtinModules(moduleDir: string): Set<string> {
  const builtin = new Set<string>();
  try {
    for (const line of readFileSync(join(moduleDir, 'modules.builtin'), 'utf8').split('\n')) {
      const name = stripModuleExtension(basename(line.trim()));
      if (name !== undefined) builtin.add(normalizeModuleName(name));
    }
  } catch {
    // no modules.builtin: every module must exist as a file
  }
  return builtin;
}

function readModule(path: string): Buffer {
  if (path.endsWith('.ko')) return readFileSync(path);
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path));
  const tool = path.endsWith('.xz') ? 'xz' : 'zstd';
  const r = spawnSync(tool, ['-dc', path], { maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`cannot decompress ${path} with ${tool}: ${r.error?.message ?? r.stderr.toString()}`);
  return r.stdout;
}

function collectModules(kernel: KernelChoice, extra: readonly string[], log: (line: string) => void): ModuleFile[] {
  const index = indexModules(join(kernel.moduleDir, 'kernel'));
  const builtin = builtinModules(kernel.moduleDir);
  const files: ModuleFile[] = [];
  const skipped: string[] = [];
  for (const name of STANDARD_MODULES) {
    const path = index.get(normalizeModuleName(name));
    if (path) files.push({ name, contents: readModule(path) });
    else if (builtin.has(normalizeModuleName(name))) skipped.push(name);
    else throw new Error(`kernel module ${name} is neither in ${kernel.moduleDir}/kernel nor built into ${kernel.release}`);
  }
  if (skipped.length) log(`built into ${kernel.release}, not loaded: ${skipped.join(', ')}`);
  for (const path of extra) {
    const name = stripModuleExtension(basename(path));
    if (name === undefined) throw new Error(`not a kernel module file: ${path}`);
    files.push({ name, contents: readModule(path) });
  }
  return files;
}

/** A newc archive with /dev/console, so the kernel can open init's console without us needing mknod (root). */
function consoleCpio(): Buffer {
  const parts: Buffer[] = [];
  const entry = (ino: number, mode: number, nlink: number, rdevMajor: number, rdevMinor: number, name: string): void => {
    // magic, then ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    const fields = [ino, mode, 0, 0, nlink, 0, 0, 0, 0, rdevMajor, rdevMinor, name.length + 1, 0];
    const head = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`, 'latin1');
    parts.push(head, Buffer.alloc((4 - (head.length % 4)) % 4));
  };
  entry(1, 0o040755, 2, 0, 0, 'dev');
  entry(2, 0o020600, 1, 5, 1, 'dev/console');
  entry(0, 0, 1, 0, 0, 'TRAILER!!!');
  return Buffer.concat(parts);
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Builds the initramfs for this kernel and module list into the cache, unless it is there already. */
function buildInitramfs(kernel: KernelChoice, extraModules: readonly string[], log: (line: string) => void): string {
  const busybox = findBusybox();
  if (!busybox) throw new Error(`no statically linked busybox at ${BUSYBOX_CANDIDATES.join(' or ')} (Debian: busybox-static)`);
  const modules = collectModules(kernel, extraModules, log);
  const busyboxBytes = readFileSync(busybox);
  const key = sha256(
    JSON.stringify({
      format: FORMAT_VERSION,
      release: kernel.release,
      init: INIT_SCRIPT,
      busybox: sha256(busyboxBytes),
      modules: modules.map((m) => [m.name, sha256(m.contents)]),
    }),
  ).slice(0, 24);
  const target = join(CACHE_DIR, `${key}.cpio.gz`);
  if (existsSync(target)) {
    log(`initramfs cached: ${target}`);
    return target;
  }
  const started = Date.now();
  log(`building initramfs for ${kernel.release} (${modules.length} modules)…`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'persona-vm-initramfs-'));
  try {
    const list: string[] = [];
    const dir = (rel: string): void => {
      mkdirSync(join(staging, rel), { recursive: true });
      list.push(rel);
    };
    const file = (rel: string, data: Buffer | string, mode: number): void => {
      writeFileSync(join(staging, rel), data);
      chmodSync(join(staging, rel), mode);
      list.push(rel);
    };
    for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'modules', 'proc', 'sys', 'mnt', 'w', 'x']) dir(d);
    file('bin/busybox', busyboxBytes, 0o755);
    file('init', INIT_SCRIPT, 0o755);
    modules.forEach((m, i) => file(`modules/${String(i).padStart(2, '0')}-${m.name}.ko`, m.contents, 0o644));
    const cpio = spawnSync('cpio', ['-o', '-H', 'newc', '-R', '0:0', '--quiet'], {
      cwd: staging,
      input: list.join('\n') + '\n',
      maxBuffer: 512 * 1024 * 1024,
    });
    if (cpio.status !== 0) throw new Error(`cpio failed: ${cpio.error?.message ?? cpio.stderr.toString()}`);
    const image = gzipSync(Buffer.concat([consoleCpio(), cpio.stdout]));
    const partial = `${target}.${process.pid}.tmp`;
    writeFileSync(partial, image);
    renameSync(partial, target);
    log(`initramfs built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${target} (${Math.round(image.length / 1024)} KiB)`);
    return target;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The VM

interface PendingRun {
  id: number;
  command: string;
  timeoutMs: number;
  started: number;
  timer: NodeJS.Timeout;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

class QemuVm implements Vm {
  kernelRelease = '';
  bootMs = 0;
  private readonly console: string[] = [];
  private consolePartial = '';
  private ctlBuffer = '';
  private ctl: Socket | undefined;
  private pending: PendingRun | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private failure: Error | undefined;
  private guestFailure: string | undefined;
  private exited = false;
  private stopping: Promise<void> | undefined;
  private readonly exitPromise: Promise<void>;
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly killOnExit = (): void => {
    this.child.kill('SIGKILL');
  };

  constructor(
    private readonly child: ChildProcess,
    private readonly server: Server,
    private readonly workDir: string,
    private readonly xferDir: string,
    private readonly onConsole: ((line: string) => void) | undefined,
  ) {
    process.once('exit', this.killOnExit);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.consoleData(d));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      for (const line of d.split('\n')) if (line.trim()) this.consoleLine(`[qemu] ${line}`);
    });
    this.exitPromise = new Promise<void>((resolve) => {
      const finished = (reason: string): void => {
        if (this.exited) return;
        this.exited = true;
        process.removeListener('exit', this.killOnExit);
        if (this.consolePartial) this.consoleLine(this.consolePartial);
        this.fail(new Error(reason));
        this.ctl?.destroy();
        this.server.close();
        rmSync(this.workDir, { recursive: true, force: true });
        resolve();
      };
      child.once('error', (err) => {
        if (child.pid === undefined) finished(`cannot start ${QEMU_BINARY}: ${err.message}`); // no 'exit' follows
      });
      child.once('exit', (code, signal) => {
        if (this.guestFailure) finished(`guest init failed: ${this.guestFailure}`);
        else if (this.console.some((l) => l.includes('Kernel panic'))) finished('kernel panic');
        else if (this.stopping && !this.failure) finished('VM was shut down');
        else finished(`QEMU ${signal ? `killed by ${signal}` : `exited with code ${code}`}${this.kernelRelease ? '' : ' before the guest was ready'}`);
      });
    });
    server.on('connection', (socket) => {
      if (this.ctl) {
        socket.destroy();
        return;
      }
      this.ctl = socket;
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => this.ctlData(d));
      socket.on('error', () => undefined); // QEMU's exit reports the failure
    });
  }

  consoleTail(lines = CONSOLE_TAIL_LINES): string {
    return this.console.slice(-lines).join('\n');
  }

  private withTail(message: string): Error {
    return new Error(`${message}\n--- last ${CONSOLE_TAIL_LINES} lines of the VM console ---\n${this.consoleTail()}`);
  }

  private consoleData(d: string): void {
    const lines = (this.consolePartial + d).split('\n');
    this.consolePartial = lines.pop() ?? '';
    for (const line of lines) this.consoleLine(line);
  }

  private consoleLine(raw: string): void {
    const line = raw.replace(/\r/g, '');
    this.console.push(line);
    if (this.console.length > 1000) this.console.splice(0, this.console.length - 1000);
    const failed = /@@VMH-FAIL (.*)/.exec(line);
    if (failed) this.guestFailure = failed[1];
    if (process.env.PERSONA_VM_DEBUG) process.stderr.write(`[vm] ${line}\n`);
    this.onConsole?.(line);
  }

  /** The VM is unusable: reject whoever waits, kill QEMU. */
  private fail(cause: Error): void {
    this.failure ??= this.withTail(cause.message);
    if (this.readyWaiter) {
      this.readyWaiter.reject(this.failure);
      this.readyWaiter = undefined;
    }
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      clearTimeout(p.timer);
      p.reject(this.withTail(`${cause.message}, while running: ${p.command}`));
    }
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private ctlData(d: string): void {
    const lines = (this.ctlBuffer + d).split('\n');
    this.ctlBuffer = lines.pop() ?? '';
    for (const line of lines) this.ctlLine(line.replace(/\r$/, ''));
  }

  private ctlLine(line: string): void {
    const ready = /^@@VMH-READY (\S+)$/.exec(line);
    if (ready) {
      this.kernelRelease = ready[1] ?? '';
      this.readyWaiter?.resolve();
      this.readyWaiter = undefined;
      return;
    }
    const end = /^@@VMH-END (\d+) (\d+) ([T-])$/.exec(line);
    const p = this.pending;
    if (end && p && Number(end[1]) === p.id) {
      this.pending = undefined;
      clearTimeout(p.timer);
      const file = join(this.xferDir, `${p.id}.out`);
      let output: string;
      try {
        output = readFileSync(file, 'utf8');
        rmSync(file, { force: true });
        rmSync(join(this.xferDir, `${p.id}.cmd`), { force: true });
      } catch (err) {
        p.reject(this.withTail(`no output file for: ${p.command} (${(err as Error).message})`));
        return;
      }
      if (end[3] === 'T') p.reject(new Error(`command timed out after ${p.timeoutMs} ms and was killed: ${p.command}\n--- output ---\n${output}`));
      else p.resolve({ exitCode: Number(end[2]), output, durationMs: Date.now() - p.started });
      return;
    }
    if (line === '@@VMH-BYE' || line === '') return;
    this.fail(new Error(`unexpected message from the guest: ${line}`));
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const timer = setTimeout(() => this.fail(new Error(`guest not ready after ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    this.bootMs = Date.now() - started;
  }

  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    const result = this.queue.then(() => this.execute(command, opts));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private execute(command: string, opts: RunOptions): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      if (this.failure || this.stopping || !this.ctl) {
        reject(this.failure ?? new Error('VM is not running'));
        return;
      }
      const timeoutMs = opts.timeoutMs ?? 60_000;
      const user = opts.user ?? '-';
      if (user !== '-' && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(user)) {
        reject(new Error(`invalid user name: ${user}`));
        return;
      }
      const text = opts.cwd === undefined ? command : `cd ${shellQuote(opts.cwd)} || exit 125\n${command}`;
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > MAX_COMMAND_BYTES) {
        reject(new Error(`command is ${bytes.length} bytes, over the ${MAX_COMMAND_BYTES}-byte limit; write a script file and run that`));
        return;
      }
      const id = this.nextId++;
      const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
      // The guest kills the command after `secs`; this timer only fires when the guest itself is stuck.
      const grace = timeoutMs + 20_000;
      const timer = setTimeout(() => this.fail(new Error(`guest did not answer within ${grace} ms`)), grace);
      writeFileSync(join(this.xferDir, `${id}.cmd`), bytes);
      this.pending = { id, command, timeoutMs, started: Date.now(), timer, resolve, reject };
      this.ctl.write(`RUN ${id} ${secs} ${user} .\n`);
    });
  }

  async dmesg(): Promise<string> {
    const r = await this.run('dmesg', { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`dmesg exited with ${r.exitCode}: ${r.output}`);
    return r.output;
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    if (this.exited) return;
    if (this.pending || !this.ctl || this.failure) this.fail(new Error('VM shut down while busy'));
    else this.ctl.write('OFF .\n');
    const timer = setTimeout(() => this.fail(new Error('guest did not power off within 15 s')), 15_000);
    await this.exitPromise;
    clearTimeout(timer);
  }
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

  const workDir = mkdtempSync(join(tmpdir(), 'persona-vm-'));
  const xferDir = join(workDir, 'xfer');
  mkdirSync(xferDir);
  const socketPath = join(workDir, 'ctl.sock');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  // Read the node binary that runs the tests in the background while the guest boots: its first
  // start inside the VM then costs ~0.5 s instead of ~2 s.
  const node = realpathSync(process.execPath);
  // A checkout under /tmp would be hidden by the guest's own /tmp: the init script binds it back.
  const project = realpathSync(packageRoot());
  const keep = project.startsWith('/tmp/') && /^[\w./-]+$/.test(project) ? [`VMH_KEEP=${project}`] : [];
  const cmdline = ['console=ttyS0', 'panic=-1', 'quiet', ...(/^[\w./-]+$/.test(node) ? [`VMH_PREWARM=${node}`] : []), ...keep];
  const cpus = options.cpus ?? 2;
  const memoryMb = options.memoryMb ?? 1024;
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-accel', 'tcg',
    // `max` gives the guest RDRAND, so its RNG is ready at once (node blocks on getrandom() until then).
    '-cpu', 'max',
    '-m', String(memoryMb),
    '-smp', String(cpus),
    '-kernel', image,
    '-initrd', initramfs,
    '-append', cmdline.join(' '),
    '-no-reboot',
    '-chardev', 'stdio,id=con,signal=off',
    '-serial', 'chardev:con',
    '-chardev', `socket,id=ctl,path=${socketPath}`,
    '-serial', 'chardev:ctl',
    '-nic', 'none',
    '-virtfs', 'local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${xferDir},mount_tag=xfer,security_model=none`,
  ];
  log(`booting ${kernel.release} under TCG (${cpus} CPUs, ${memoryMb} MiB${image === kernel.image ? '' : ', PVH'})…`);
  const child = spawn(onPath(QEMU_BINARY) ?? QEMU_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const vm = new QemuVm(child, server, workDir, xferDir, options.onConsole);
  await vm.waitReady(options.bootTimeoutMs ?? 120_000);
  log(`booted ${vm.kernelRelease} in ${(vm.bootMs / 1000).toFixed(1)} s`);
  return vm;
}
