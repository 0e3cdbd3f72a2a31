import { kmodAvailable } from '../vm/kmod-build.js';
import { GUEST_PATH, onPath } from '../vm/vm-host.js';

/** The kernel-module VM, and what the ECU runs besides persona (Mosquitto, can-utils, procps), on the guest's PATH. */
export function vehicleAvailable(): { ok: true } | { ok: false; reason: string } {
  const kmod = kmodAvailable();
  const missing = [
    ['mosquitto', 'mosquitto'],
    ['canplayer', 'can-utils'],
    ['pkill', 'procps'],
  ].filter(([binary]) => !onPath(binary!, GUEST_PATH)).map(([binary, debian]) => `${binary} (Debian: ${debian})`);
  if (!kmod.ok) missing.unshift(kmod.reason);
  return missing.length ? { ok: false, reason: `the end-to-end VM test needs ${missing.join('; ')}` } : { ok: true };
}
