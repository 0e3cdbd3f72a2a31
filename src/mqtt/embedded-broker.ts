import { Aedes } from 'aedes';
import { createServer, type Server } from 'node:net';
import { listenOnFreePort } from '../common/listen.js';

/**
 * A zero-setup MQTT broker (Aedes) on loopback, for `npm start` without a broker.
 * Production uses a real broker (Mosquitto); this one keeps everything in memory.
 */
export class EmbeddedBroker {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  url = '';

  /** Listens on 127.0.0.1 at `port`, or the next free port up to `port + 99`. */
  async start(port = 1883): Promise<string> {
    const broker = await Aedes.createBroker();
    const server = createServer((socket) => broker.handle(socket));
    const taken = await listenOnFreePort(server, '127.0.0.1', port);
    if (taken !== undefined) {
      this.broker = broker;
      this.server = server;
      this.url = `mqtt://127.0.0.1:${taken}`;
      return this.url;
    }
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw new Error(`no free port for the embedded broker in 127.0.0.1:${port}-${port + 99}`);
  }

  async stop(): Promise<void> {
    const { broker, server } = this;
    this.broker = undefined;
    this.server = undefined;
    // The broker first: it ends its client connections, which lets the server close.
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
