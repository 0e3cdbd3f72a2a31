import type { Server } from 'node:net';

/**
 * Listens on `host` at `port`, or the next free port up to `port + 99` (and 65535); resolves
 * with the port taken, or undefined when all were in use. Other errors reject.
 */
export async function listenOnFreePort(server: Server, host: string, port: number): Promise<number | undefined> {
  for (let candidate = port; candidate < port + 100 && candidate <= 65535; candidate++) {
    if (await listen(server, host, candidate)) return candidate;
  }
  return undefined;
}

function listen(server: Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
