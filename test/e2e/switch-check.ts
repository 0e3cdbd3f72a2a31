/** A switch as MQTT reports it, checked against what the driver in the guest shows. */
import type { Test } from 'tap';
import type { Vm } from '../vm/vm-harness.js';
import type { GuestJournal } from './guest-journal.js';
import { expectedPort, PORTS, readDriver } from './pvnic-readback.js';

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
  const { payload, message } = await journal.waitFor<Personality>('state/personality', (p) => p.drivers.pvnic?.generation === sw.generation, `state/personality generation ${sw.generation}`, { from });
  const pvnic = payload.drivers.pvnic!;
  t.equal(payload.backend, 'kmod', 'read back through the kernel backend');
  t.equal(pvnic.personality, sw.to);
  const what = `${sw.from ?? '-'} → ${sw.to} (${sw.trigger.reason})`;
  const want = expectedPort(pvnic.parameters);
  const got = await readDriver(vm);
  await journal.refresh();
  // The drive runs on in real time: on a slow host the next switch can reach the driver before it is read.
  const next = journal.json<Personality>('state/personality', message.index + 1).find((p) => p.drivers.pvnic?.generation !== sw.generation);
  if (next !== undefined && PORTS.some((port) => JSON.stringify(got[port]) !== JSON.stringify(want))) t.comment(`${what}: the driver already shows ${next.drivers.pvnic?.personality} (generation ${next.drivers.pvnic?.generation})`);
  else for (const port of PORTS) t.same(got[port], want, `${what}: ${port} through ethtool and sysfs`);
  return pvnic;
}
