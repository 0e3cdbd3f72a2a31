import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import { startMosquitto, type MosquittoBroker } from '../test/helpers/mosquitto.js';

/** The broker configuration the Yocto layer installs, and the ACL it installs beside it. */
export const BROKER_FRAGMENT = 'yocto-layer/recipes-support/persona-mosquitto/files/persona-broker.conf';
export const BROKER_ACL = 'docs/mosquitto.acl.example';

export interface Login {
  readonly username: string;
  readonly password: string;
}

export interface ShippedBroker {
  readonly broker: MosquittoBroker;
  /** The daemon's login (the ACL's user persona). */
  readonly daemon: Login;
  /** A client's login: its username is its `<client>` in the ACL's patterns. */
  readonly client: Login;
  /** The fragment's settings as the broker got them, for the notes. */
  readonly settings: readonly string[];
}

/**
 * The fragment's lines with the places the recipe fills in filled in for a broker of the
 * benchmark: its own listener on a free loopback port instead of 1883, a password file and the
 * ACL (with the ECU id put in as the recipe does) in a folder of its own. A line that names a
 * place this does not know is an error: the benchmark would no longer run the shipped broker.
 */
export function shippedBrokerSettings(fragment: string, files: { passwords: string; acl: string }): string[] {
  const settings: string[] = [];
  for (const raw of fragment.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('listener ')) continue;
    const filled = line.replace('@STATEDIR@/passwd', files.passwords).replace('@SYSCONFDIR@/mosquitto/persona.acl', files.acl);
    if (filled.includes('@')) throw new Error(`${BROKER_FRAGMENT}: "${line}" names a place the benchmark does not fill in`);
    settings.push(filled);
  }
  return settings;
}

/**
 * Mosquitto configured as the Yocto layer ships it (BROKER_FRAGMENT: no anonymous clients,
 * passwords, persona's ACL, set_tcp_nodelay, the packet limit), on a free loopback port, with
 * the users persona (the daemon) and `clientUsername`.
 */
export async function startShippedBroker(ecuId: string, clientUsername: string): Promise<ShippedBroker> {
  const root = packageRoot();
  const dir = mkdtempSync(join(tmpdir(), 'persona-bench-broker-'));
  // Mosquitto started as root reads its files as the user mosquitto.
  chmodSync(dir, 0o755);
  const acl = join(dir, 'persona.acl');
  writeFileSync(acl, readFileSync(join(root, BROKER_ACL), 'utf8').replaceAll('persona/demo-ecu/', `persona/${ecuId}/`));
  const passwords = join(dir, 'passwd');
  const daemon = { username: 'persona', password: 'bench-daemon' };
  const client = { username: clientUsername, password: 'bench-client' };
  execFileSync('mosquitto_passwd', ['-c', '-b', passwords, daemon.username, daemon.password]);
  execFileSync('mosquitto_passwd', ['-b', passwords, client.username, client.password]);
  chmodSync(passwords, 0o644);
  const settings = shippedBrokerSettings(readFileSync(join(root, BROKER_FRAGMENT), 'utf8'), { passwords, acl });
  return { broker: await startMosquitto(settings), daemon, client, settings };
}
