/**
 * Runs inside the VM, as root, with persona.ko and persona_vnic.ko loaded: the backend
 * conformance suite against KmodBackend on the real driver. Faults are injected through pvnic's
 * debugfs knob and drift is made with ethtool. Prints TAP (through GuestTap: tap itself is slow
 * to load under emulation); exits non-zero when a test fails.
 * Usage: node persona-conformance-probe.js
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { KmodBackend } from '../../src/backend/kmod-backend.js';
import { backendConformance } from '../backend/backend-conformance.js';
import { GuestTap } from './guest-tap.js';

const ethtool = promisify(execFile);

await GuestTap.main((t) =>
  backendConformance(t, () => {
    const backend = KmodBackend.open();
    return Promise.resolve({
      backend,
      failNthWrite: (nth: number) => writeFile('/sys/kernel/debug/pvnic/fail_set_at', `${nth}\n`),
      driftStep: async (resource: string, ns: number) => {
        await ethtool('ethtool', ['-C', resource, 'rx-usecs', String(ns / 1000)]);
      },
      close: () => backend.stop(),
    });
  }),
);
