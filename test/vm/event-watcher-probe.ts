/* eslint-disable no-console -- the probe's result goes to stdout, where the VM test reads it */
/**
 * Runs inside the VM, as root, with pvnic registered: event callbacks that close their own
 * device and then throw. Each round opens a device, watches it with such a callback and applies
 * a change through a second device; the throw must arrive as an uncaught exception (what any
 * event handler's throw is) with the process intact. Then a watcher that only closes, and one
 * that receives normally. The process must end by itself: a watcher closed from its callback
 * holds no libuv handle. The VM test runs this with glibc filling freed memory, so a watcher
 * used after its callback freed it crashes at once instead of reading what was there before.
 * Prints one JSON line. Usage: node event-watcher-probe.js [rounds, default 200]
 */
import { openPersonaDevice, type KernelEvent } from '../../src/backend/addon-persona.js';

const rounds = Number(process.argv[2] ?? 200);
let caught: ((err: Error) => void) | undefined;
process.on('uncaughtException', (err) => {
  if (!caught) throw err;
  caught(err);
});

const writer = openPersonaDevice('/dev/persona');
const pvnic = writer.list().find((d) => d.name === 'pvnic');
if (!pvnic) throw new Error('pvnic is not registered');
const start = writer.read(pvnic.id, 0).values[0]!;
let step = 0;
/** Changes pvnic0's coalescing, so every open device gets an event. */
const change = (): Promise<unknown> => writer.apply(pvnic.id, [[0, start + BigInt(1000 * (++step % 2))]], 1n);

let thrown = 0;
for (let i = 0; i < rounds; i++) {
  const err = new Promise<Error>((resolve) => (caught = resolve));
  const device = openPersonaDevice('/dev/persona');
  device.watch(() => {
    device.close();
    throw new Error(`closed and thrown ${i}`);
  });
  await change();
  if ((await err).message === `closed and thrown ${i}`) thrown++;
}
caught = undefined;

let closedOnly = 0;
const quiet = openPersonaDevice('/dev/persona');
await new Promise<void>((resolve) => {
  quiet.watch(() => {
    quiet.close();
    closedOnly++;
    resolve();
  });
  void change();
});

const received: KernelEvent[] = [];
const listener = openPersonaDevice('/dev/persona');
await new Promise<void>((resolve) => {
  listener.watch((error, events) => {
    if (error) throw error;
    received.push(...(events ?? []));
    if (received.length >= 2) resolve();
  });
  void change().then(change);
});
listener.close();
await writer.apply(pvnic.id, [[0, start]], 1n);
writer.close();
console.log(JSON.stringify({ rounds, thrown, closedOnly, received: received.length }));
