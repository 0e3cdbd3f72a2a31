import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MosquittoBroker {
  readonly url: string;
  readonly port: number;
  /** Kills the broker and waits for it to exit. */
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

export function mosquittoBinary(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A TLS listener: PEM files of the CA that signs client certificates, the server's certificate and key. */
export interface TlsListener {
  cafile: string;
  certfile: string;
  keyfile: string;
  /** Clients must show a certificate the CA signed; with `useIdentityAsUsername`, its common name is their username. */
  requireCertificate?: boolean;
  useIdentityAsUsername?: boolean;
}

/**
 * Starts a real Mosquitto on a free loopback port, without persistence; `extraConfig` lines are
 * appended. With `tls` the listener speaks TLS only, and `url` is mqtts://.
 */
export async function startMosquitto(extraConfig: readonly string[] = [], fixedPort?: number, tls?: TlsListener): Promise<MosquittoBroker> {
  // Between freePort() closing its probe and Mosquitto binding, a parallel test may take the
  // port: then another free port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(extraConfig, fixedPort ?? (await freePort()), tls);
    } catch (err) {
      if (fixedPort !== undefined || attempt === 5 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

/** The lines that make the listener above them speak TLS. */
function tlsLines(tls: TlsListener): string[] {
  return [
    `cafile ${tls.cafile}`,
    `certfile ${tls.certfile}`,
    `keyfile ${tls.keyfile}`,
    ...(tls.requireCertificate ? ['require_certificate true'] : []),
    ...(tls.useIdentityAsUsername ? ['use_identity_as_username true'] : []),
  ];
}

async function startOn(extraConfig: readonly string[], port: number, tls: TlsListener | undefined): Promise<MosquittoBroker> {
  const binary = mosquittoBinary();
  if (!binary) throw new Error(`mosquitto not installed (looked in ${CANDIDATES.join(', ')}): apt-get install mosquitto (npm test installs it or names it)`);
  const dir = mkdtempSync(join(tmpdir(), 'persona-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, ...(tls ? tlsLines(tls) : []), 'persistence false', 'log_dest stderr', ...(extraConfig.some((l) => l.startsWith('allow_anonymous')) ? [] : ['allow_anonymous true']), ...extraConfig];
  writeFileSync(conf, lines.join('\n') + '\n');
  const child: ChildProcess = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Mosquitto logs "... running" once its listeners are open: readiness without polling.
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`mosquitto did not start on port ${port}: ${stderr}`)), 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/ running\b/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => fail(new Error(`mosquitto exited with ${code}: ${stderr}`)));
  });
  return {
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
