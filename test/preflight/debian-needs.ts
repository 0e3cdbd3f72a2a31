/**
 * The Debian packages the test suite needs, which tests need each, and how to tell that one is
 * there. Each check looks for what the tests themselves look for (often with the same helper),
 * not for the package's record in dpkg: a tool built from source counts, and an installed
 * package whose file the tests cannot use (an unreadable kernel image) does not.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM } from '../dashboard/browser.js';
import { mosquittoBinary } from '../helpers/mosquitto.js';
import { findPythonWithPaho } from '../helpers/python-paho.js';
import { kmodKernel } from '../vm/kmod-build.js';
import { BUSYBOX_CANDIDATES, GUEST_PATH, QEMU_BINARY, chooseKernel, findBusybox, onPath } from '../vm/vm-host.js';

export interface DebianNeed {
  /** The Debian package's name, as apt-get install takes it. */
  readonly package: string;
  /** The tests that need it, and for what. */
  readonly neededBy: string;
  /** What is missing, in words; undefined when the package's files are there. */
  absent(): string | undefined;
}

const VM_TESTS = 'test/vm and test/e2e/vehicle.test.ts';
const KMOD_BUILD = 'building persona.ko, persona_vnic.ko and kmod/tests for the VM tests (test/vm, test/e2e/vehicle.test.ts)';

function hostCommands(...binaries: string[]): () => string | undefined {
  return () => {
    const missing = binaries.filter((b) => !onPath(b));
    return missing.length ? `no ${missing.join(', ')} on PATH` : undefined;
  };
}

function guestCommands(...binaries: string[]): () => string | undefined {
  return () => {
    const missing = binaries.filter((b) => !onPath(b, GUEST_PATH));
    return missing.length ? `no ${missing.join(', ')} in ${GUEST_PATH}` : undefined;
  };
}

function fileAt(path: string): () => string | undefined {
  return () => (existsSync(path) ? undefined : `no ${path}`);
}

/** The kernel the VM boots: the image readable by this user, with its modules. */
function bootableKernel(): string | undefined {
  try {
    const kernel = chooseKernel();
    accessSync(kernel.image, constants.R_OK);
    return existsSync(join(kernel.moduleDir, 'kernel')) ? undefined : `no modules for ${kernel.release} in ${kernel.moduleDir}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** What `check` throws, in words; undefined when it returns. */
function failureOf(check: () => unknown): () => string | undefined {
  return () => {
    try {
      check();
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };
}

export const DEBIAN_NEEDS: readonly DebianNeed[] = [
  {
    package: 'mosquitto',
    neededBy: 'the real broker of the MQTT tests (test/mqtt, test/cli, test/contract, test/namespace, test/daemon, test/e2e)',
    absent: () => (mosquittoBinary() ? undefined : 'no mosquitto in /usr/sbin, /usr/bin or /usr/local/sbin'),
  },
  {
    package: 'mosquitto-clients',
    neededBy: 'mosquitto_passwd, and the MQTT guide\'s examples run as written (test/mqtt, test/cli, test/contract)',
    absent: hostCommands('mosquitto_passwd', 'mosquitto_pub', 'mosquitto_sub', 'mosquitto_rr'),
  },
  { package: 'openssl', neededBy: 'the certificates of the TLS broker test (test/cli/tls-broker.test.ts)', absent: hostCommands('openssl') },
  {
    package: 'python3-paho-mqtt',
    neededBy: 'the second, independent MQTT client of the contract test (test/contract), and python3 for the sd_notify receiver (test/daemon)',
    absent: () => {
      const found = findPythonWithPaho();
      return 'problems' in found ? `no python3 imports paho.mqtt (${found.problems.join('; ')})` : undefined;
    },
  },
  { package: 'systemd', neededBy: 'systemd-analyze verify and security on the Yocto layer\'s units (test/yocto)', absent: hostCommands('systemd-analyze') },
  { package: 'chromium', neededBy: 'the dashboard\'s browser tests, driven headless by playwright-core (test/dashboard)', absent: fileAt(CHROMIUM) },
  { package: 'qemu-system-x86', neededBy: `the real-kernel VM (${VM_TESTS})`, absent: hostCommands(QEMU_BINARY) },
  { package: 'linux-image-amd64', neededBy: `the kernel the VM boots (${VM_TESTS})`, absent: bootableKernel },
  {
    package: 'busybox-static',
    neededBy: `the VM's initramfs (${VM_TESTS})`,
    absent: () => (findBusybox() ? undefined : `no statically linked busybox at ${BUSYBOX_CANDIDATES.join(' or ')}`),
  },
  { package: 'cpio', neededBy: `packing the VM's initramfs (${VM_TESTS})`, absent: hostCommands('cpio') },
  { package: 'xz-utils', neededBy: `unpacking the kernel for the faster PVH boot (${VM_TESTS})`, absent: hostCommands('xz') },
  { package: 'can-utils', neededBy: `candump, cansend and canplayer in the VM (${VM_TESTS})`, absent: guestCommands('candump', 'cansend', 'canplayer') },
  { package: 'iproute2', neededBy: `ip, for vcan and pvnic links in the VM (${VM_TESTS})`, absent: guestCommands('ip') },
  { package: 'ethtool', neededBy: `reading and setting pvnic's parameters in the VM (${VM_TESTS})`, absent: guestCommands('ethtool') },
  { package: 'procps', neededBy: 'pkill in the whole-vehicle VM test (test/e2e/vehicle.test.ts)', absent: guestCommands('pkill') },
  { package: 'linux-headers-amd64', neededBy: KMOD_BUILD, absent: failureOf(kmodKernel) },
  { package: 'make', neededBy: KMOD_BUILD, absent: hostCommands('make') },
  { package: 'gcc', neededBy: KMOD_BUILD, absent: hostCommands('gcc') },
  { package: 'libc6-dev', neededBy: KMOD_BUILD, absent: fileAt('/usr/include/stdio.h') },
  { package: 'sparse', neededBy: `checking persona.ko and persona_vnic.ko as they build (${VM_TESTS})`, absent: hostCommands('sparse') },
];
