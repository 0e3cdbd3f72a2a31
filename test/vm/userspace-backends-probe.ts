/**
 * Runs inside the VM, as root, with persona_vnic.ko loaded and loop0/loop1 bound to files: the
 * backend conformance suite against EthtoolBackend on pvnic0/pvnic1 and SysfsBackend on the loop
 * devices' queues. Neither has a fault knob in the kernel, so a failing write is injected
 * between the backend and the real command or file; drift is made with ethtool and by writing
 * the sysfs file. Prints TAP (through GuestTap: tap itself is slow to load under emulation);
 * exits non-zero when a test fails.
 * Usage: node userspace-backends-probe.js
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { EthtoolBackend } from '../../src/backend/ethtool-backend.js';
import { runEthtool, type EthtoolRunner } from '../../src/backend/ethtool-command.js';
import { realSysfsFiles, SysfsBackend, type SysfsFiles } from '../../src/backend/sysfs-backend.js';
import { backendConformance } from '../backend/backend-conformance.js';
import { GuestTap } from './guest-tap.js';
import { loopSysfsMapping, loopSysfsTarget, pvnicEthtoolMapping, pvnicEthtoolTarget } from '../backend/userspace-targets.js';

/** Fails the nth write from arming, once, before it reaches the driver. */
class WriteFault {
  private nth = 0;
  private count = 0;
  arm(nth: number): Promise<void> {
    this.nth = nth;
    this.count = 0;
    return Promise.resolve();
  }
  check(what: string): void {
    if (this.nth > 0 && ++this.count === this.nth) {
      this.nth = 0;
      throw new Error(`${what}: injected failure`);
    }
  }
}

/** Each ethtool read is a process, slow under TCG, so both poll unhurriedly. */
const POLL_MS = 1000;

const READS = new Set(['-c', '-g', '-i', '--show-priv-flags']);

/** The ethtool runs write through this: a write it is told to fail never reaches the driver. */
function faultyEthtool(fault: WriteFault): EthtoolRunner {
  return (args) => {
    if (!READS.has(args[0]!)) fault.check(`ethtool ${args.join(' ')}`);
    return runEthtool(args);
  };
}

/** The sysfs writes go through this: a write it is told to fail never reaches the file. */
function faultySysfs(fault: WriteFault): SysfsFiles {
  return {
    read: (path) => realSysfsFiles.read(path),
    write: (path, text) => {
      fault.check(`writing ${path}`);
      realSysfsFiles.write(path, text);
    },
  };
}

await GuestTap.main((t) => {
  t.test('EthtoolBackend on pvnic', (t) => {
    backendConformance(
      t,
      () => {
        const fault = new WriteFault();
        const backend = new EthtoolBackend([pvnicEthtoolMapping], { ethtool: faultyEthtool(fault), pollMs: POLL_MS });
        return Promise.resolve({
          backend,
          failNthWrite: (nth: number) => fault.arm(nth),
          driftStep: (resource: string, ns: number) => Promise.resolve(void execFileSync('ethtool', ['-C', resource, 'rx-usecs', String(ns / 1000)])),
          close: () => backend.stop(),
        });
      },
      pvnicEthtoolTarget,
    );
    return Promise.resolve();
  });

  t.test('SysfsBackend on loop devices', (t) => {
    backendConformance(
      t,
      () => {
        const fault = new WriteFault();
        const backend = new SysfsBackend([loopSysfsMapping], { files: faultySysfs(fault), pollMs: POLL_MS });
        return Promise.resolve({
          backend,
          failNthWrite: (nth: number) => fault.arm(nth),
          driftStep: (resource: string, bytes: number) => Promise.resolve(writeFileSync(`/sys/block/${resource}/queue/read_ahead_kb`, String(bytes / 1024))),
          close: () => backend.stop(),
        });
      },
      loopSysfsTarget,
    );
    return Promise.resolve();
  });
});
