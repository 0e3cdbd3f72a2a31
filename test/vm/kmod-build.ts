/**
 * Builds what the kernel-module VM test runs, on the host, against the headers of the kernel the
 * VM boots: persona.ko and persona_vnic.ko (with sparse and W=1, so the build is also the
 * static check) and the C test programs of kmod/tests. Everything goes under dist/kmod, which
 * the guest sees through the shared root; the sources under kmod/ stay free of build output.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { vmAvailable, type VmAvailability } from './vm-harness.js';
import { GUEST_PATH, onPath } from './vm-host.js';

export interface KmodKernel {
  /** The image bootVm is given, so that it boots the kernel the modules were built for. */
  readonly image: string;
  readonly release: string;
  /** Its kbuild tree: /lib/modules/<release>/build. */
  readonly headers: string;
}

export interface KmodBuild {
  readonly modules: { readonly persona: string; readonly vnic: string };
  /** The folder of the compiled kmod/tests programs. */
  readonly tests: string;
  /** Compiler and sparse warnings of the module build; none is allowed. */
  readonly warnings: readonly string[];
}

/** Build tools, run on the host with its PATH. */
const BUILD_TOOLS: ReadonlyArray<[binary: string, debian: string]> = [
  ['make', 'make'],
  ['gcc', 'gcc'],
  ['sparse', 'sparse'],
];

/** Tools the guest runs, found on the guest's PATH. */
const GUEST_TOOLS: ReadonlyArray<[binary: string, debian: string]> = [['ethtool', 'ethtool']];

/** The newest kernel (or $PERSONA_VM_KERNEL) with both its modules and its headers installed. */
export function kmodKernel(): KmodKernel {
  const explicit = process.env.PERSONA_VM_KERNEL;
  const images = explicit ? [explicit] : readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-')).map((n) => join('/boot', n));
  const usable = images
    .map((image) => {
      const release = basename(image).replace(/^vmlinuz-/, '');
      return { image, release, headers: join('/lib/modules', release, 'build') };
    })
    .filter((k) => existsSync(join('/lib/modules', k.release, 'kernel')) && existsSync(join(k.headers, 'Makefile')))
    .sort((a, b) => b.release.localeCompare(a.release, 'en', { numeric: true }));
  const best = usable[0];
  if (!best) throw new Error(`no kernel in ${images.join(', ') || '/boot'} has its headers in /lib/modules/<release>/build (Debian: linux-headers-amd64)`);
  return best;
}

/** Whether the kernel-module test can run here: the VM, the kernel's headers, and the build tools. */
export function kmodAvailable(): VmAvailability {
  const vm = vmAvailable();
  const missing = [
    ...BUILD_TOOLS.filter(([binary]) => !onPath(binary)),
    ...GUEST_TOOLS.filter(([binary]) => !onPath(binary, GUEST_PATH)),
  ].map(([binary, debian]) => `${binary} (Debian: ${debian})`);
  try {
    kmodKernel();
  } catch (err) {
    missing.push((err as Error).message);
  }
  if (!vm.ok) missing.unshift(vm.reason);
  return missing.length ? { ok: false, reason: `the kernel-module VM test needs ${missing.join('; ')}` } : { ok: true };
}

function run(command: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout}${r.stderr}`;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${output}`);
  return output;
}

/**
 * Runs `build` holding a lock folder, so that two test files building at once (tap runs them in
 * parallel) take turns; the second one's make then finds nothing to do. A lock older than ten
 * minutes was left by a killed run.
 */
function withBuildLock<T>(out: string, build: () => T): T {
  const lock = join(out, '.build-lock');
  mkdirSync(out, { recursive: true });
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(wait, 0, 0, 200);
    }
  }
  try {
    return build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds the modules and the test programs under <root>/dist/kmod. */
export function buildKmod(root: string, kernel: KmodKernel): KmodBuild {
  return withBuildLock(join(root, 'dist/kmod'), () => buildKmodLocked(root, kernel));
}

function buildKmodLocked(root: string, kernel: KmodKernel): KmodBuild {
  const out = join(root, 'dist/kmod');
  const build = join(out, 'build');
  const tests = join(out, 'tests');
  mkdirSync(build, { recursive: true });
  mkdirSync(tests, { recursive: true });
  // Timestamps are kept, so make rebuilds only what changed.
  cpSync(join(root, 'kmod'), build, {
    recursive: true,
    preserveTimestamps: true,
    filter: (src) => !src.includes(`${join(root, 'kmod/tests')}`) && !/\.(o|ko|mod|cmd)$/.test(src),
  });
  // Debian's kernel zeroes every stack variable (CONFIG_INIT_STACK_ALL_ZERO); a vehicle's kernel
  // may not. Built without it, the modules show a read of an unset variable as the stale value
  // it is there.
  const log = run('make', ['-C', kernel.headers, `M=${build}`, 'W=1', 'C=2', 'KCFLAGS=-ftrivial-auto-var-init=uninitialized', 'modules']);
  const warnings = log.split('\n').filter((l) => /warning:|error:/.test(l));

  const source = join(root, 'kmod/tests');
  const flags = ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror', `-I${join(root, 'kmod/include/uapi')}`];
  for (const file of readdirSync(source).filter((f) => f.endsWith('.c') && f !== 'persona_test.c')) {
    // Built aside and renamed into place: another test file's VM may be running the program now,
    // and gcc writes its output where it stands, not executable until it is done.
    const program = join(tests, file.replace(/\.c$/, ''));
    const partial = `${program}.${process.pid}.partial`;
    run('gcc', [...flags, '-o', partial, join(source, file), join(source, 'persona_test.c')]);
    renameSync(partial, program);
  }
  return { modules: { persona: join(build, 'persona.ko'), vnic: join(build, 'persona_vnic.ko') }, tests, warnings };
}
