/**
 * The guest's initramfs: busybox, the init script (PID 1, the guest side of the request protocol)
 * and the kernel modules, built once per kernel and module list into the cache.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BUSYBOX_CANDIDATES, CACHE_DIR, GUEST_PATH, findBusybox, sha256, type KernelChoice } from './vm-host.js';

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
# A host folder shared read-only as a hypervisor shares one into a guest, uncached so that the
# host's writes show: /run/<tag> in the chroot.
if [ -n "$VMH_SHARE" ]; then
  mkdir -p "/mnt/run/$VMH_SHARE"
  mount -t 9p -o trans=virtio,version=9p2000.L,ro "$VMH_SHARE" "/mnt/run/$VMH_SHARE" || fail "mount 9p share $VMH_SHARE"
fi
ip link set lo up
exec 3<>/dev/ttyS1 || fail "open /dev/ttyS1"
stty 115200 raw -echo <&3 || fail "stty ttyS1"

ENVS="PATH=${GUEST_PATH} HOME=/root TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp USER=root LOGNAME=root"

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

/** Builds the initramfs for this kernel and module list into the cache, unless it is there already. */
export function buildInitramfs(kernel: KernelChoice, extraModules: readonly string[], log: (line: string) => void): string {
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
