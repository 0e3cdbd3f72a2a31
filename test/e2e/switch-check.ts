/** A switch as MQTT reports it, checked against what the driver in the guest shows. */
import type { Test } from 'tap';
import type { Vm } from '../vm/vm-harness.js';
import type { GuestJournal } from './guest-journal.js';
import { expectedPort, PORTS, readDriverAt } from './pvnic-readback.js';

/** What the test reads of event/switch. */
export interface Switch {
  from: string | null;
  to: string;
  trigger: { reason: string; source: string };
  context: { driving: string };
  generation: number;
  pending: Array<{ name: string; to: string }>;
}

/** What the test reads of state/personality. */
export interface Personality {
  backend: string;
  drivers: Record<string, { personality: string; generation: number; parameters: Record<string, string>; pending: Record<string, string> }>;
}

/** What the test reads of status. */
export interface Status {
  state: string;
  backend?: string;
  reason?: string;
}

/** Waits for the state/personality of a switch's generation and checks every port of the driver against it. */
export async function checkSwitch(t: Test, ecu: { vm: Vm; journal: GuestJournal }, sw: Switch, from: number): Promise<Personality['drivers'][string]> {
  const { vm, journal } = ecu;
  const { payload } = await journal.waitFor<Personality>('state/personality', (p) => p.drivers.pvnic?.generation === sw.generation, `state/personality generation ${sw.generation}`, { from });
  const pvnic = payload.drivers.pvnic!;
  t.equal(payload.backend, 'kmod', 'read back through the kernel backend');
  t.equal(pvnic.personality, sw.to);
  const what = `${sw.from ?? '-'} → ${sw.to} (${sw.trigger.reason})`;
  const want = expectedPort(pvnic.parameters);
  const { ports: got, generations: [before, after] } = await readDriverAt(vm);
  // The drive runs on in real time, and a switch is applied before it is published: on a slow host
  // the next switch can reach the driver before this one is read. The kernel's generation tells.
  if (before === sw.generation && after === sw.generation) for (const port of PORTS) t.same(got[port], want, `${what}: ${port} through ethtool and sysfs`);
  else if (before >= sw.generation) t.comment(`${what}: the driver moved on to generation ${after} before it was read`);
  else t.fail(`${what}: the driver is at generation ${before}, behind the ${sw.generation} MQTT reported`);
  return pvnic;
}
