/**
 * A head-unit client of persona: the infotainment system wants the network driver in its
 * `highway` personality (bigger buffers, no power saving) while it streams a film, and gives it
 * back afterwards.
 *
 * What it shows, in the order it happens on the wire:
 * 1. Presence. The client connects with a retained last will `offline` on
 *    persona/<ecu-id>/client/<client>/presence and then publishes a retained `online` there. The
 *    daemon keeps this client's holds only while it is present: if the head unit crashes, the
 *    broker publishes the will and the daemon drops the holds. That is why this client needs
 *    no `holdSeconds`, unlike `persona select`.
 * 2. A hold. client/<client>/request/select names the personality and a priority; the owner is
 *    the sender, <client>; the answer carries the hold id and a token. A 409 answer placed the hold too (it is
 *    outranked, or waits for the minimum interval or a standstill): keep its token as well.
 * 3. The release, with the token: nobody else can release this hold.
 * 4. A clean goodbye: `offline` on the presence topic, then DISCONNECT.
 *
 * <client> is the name the broker authenticated: the username under the shipped ACL
 * (docs/mosquitto.acl.example), here the client id, for a broker without users. Requests go out
 * with an MQTT v5 response topic and correlation data, or, on a 3.1.1-only broker, with a
 * `transaction` id answered on client/<client>/response/<action> (MqttSession does both).
 *
 * Run it against a running daemon (npm start in another terminal), after npm run build:
 *   node dist/examples/infotainment.js [broker-url] [ecu-id]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { MqttSession } from '../src/cli/mqtt-session.js';
import { Topics } from '../src/mqtt/contract.js';

export interface InfotainmentOptions {
  url: string;
  ecuId: string;
  /** The MQTT client id, which is also the <client> of its topics: the hold's owner. */
  clientId: string;
  personality: string;
  /** Higher than the other apps' holds wins; 1–1000. */
  priority: number;
  /** How long the film plays: the hold lasts this long before it is released. */
  holdMs: number;
  log: (line: string) => void;
}

/** Holds `personality` for `holdMs`, then releases it; resolves with the hold id. */
export async function main(options: InfotainmentOptions): Promise<string> {
  const { personality, priority, log } = options;
  const session = await MqttSession.open({ url: options.url, topics: new Topics(options.ecuId), timeoutMs: 5000, clientId: options.clientId, presence: true });
  try {
    log(`${options.clientId}: online at ${options.url} (MQTT ${session.protocolVersion === 5 ? 'v5' : '3.1.1'})`);
    const selected = await session.request('select', { personality, priority });
    if (!selected.data || !('token' in selected.data)) throw new Error(`select ${personality}: ${selected.status} ${selected.error ?? ''}`);
    const { hold, token } = selected.data as { hold: string; token: string };
    log(`${options.clientId}: holding ${personality} as ${hold}${selected.status === 409 ? ` (${selected.error ?? ''})` : ''}`);
    await sleep(options.holdMs);
    const released = await session.request('release', { hold, token });
    if (released.status !== 200) throw new Error(`release ${hold}: ${released.status} ${released.error ?? ''}`);
    log(`${options.clientId}: released ${hold}`);
    return hold;
  } finally {
    await session.close();
  }
}

// Run as a program (not when a test imports main).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  /* eslint-disable no-console -- an example program prints what it does */
  main({
    url: process.argv[2] ?? 'mqtt://127.0.0.1:1883',
    ecuId: process.argv[3] ?? 'demo-ecu',
    clientId: 'head-unit',
    personality: 'highway',
    priority: 50,
    holdMs: 30_000,
    log: (line) => console.log(line),
  }).catch((err: Error) => {
    console.error(`infotainment: ${err.message}`);
    process.exitCode = 1;
  });
  /* eslint-enable no-console */
}
