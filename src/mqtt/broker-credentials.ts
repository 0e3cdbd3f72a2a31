import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';

/** How a client proves who it is to the broker, and which broker it trusts: PEM and secrets as read. */
export interface BrokerCredentials {
  /** PEM contents for TLS (mqtts://): the CA that signed the broker's certificate, a client certificate and its key. */
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
}

/** The files that hold the credentials, as the daemon's config or the CLI's flags name them. */
export interface BrokerCredentialFiles {
  username?: string;
  passwordFile?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export type CredentialFileField = Exclude<keyof BrokerCredentialFiles, 'username'>;

/** A file of the credentials that could not be read: which field named it, and why. */
export interface UnreadableCredentialFile {
  field: CredentialFileField;
  file: string;
  reason: string;
}

/** Every credential file that could not be read; each caller names the fields its own way (config key, flag). */
export class CredentialFileError extends Error {
  constructor(readonly unreadable: readonly UnreadableCredentialFile[]) {
    super(unreadable.map((u) => `cannot read the ${u.field} ${u.file}: ${u.reason}`).join('; '));
  }
}

/**
 * Reads the files of `files`. A password file's line ends at its end are not part of the
 * password (`echo secret > file` writes one); anything else in it is. Throws a
 * CredentialFileError naming every file that cannot be read.
 */
export function readBrokerCredentials(files: BrokerCredentialFiles): BrokerCredentials {
  const unreadable: UnreadableCredentialFile[] = [];
  const read = (field: CredentialFileField): string | undefined => {
    const file = files[field];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      unreadable.push({ field, file, reason: describeReadError(err as NodeJS.ErrnoException) });
      return undefined;
    }
  };
  const password = read('passwordFile')?.replace(/[\r\n]+$/, '');
  const ca = read('caFile');
  const cert = read('certFile');
  const key = read('keyFile');
  if (unreadable.length > 0) throw new CredentialFileError(unreadable);
  return {
    ...(files.username !== undefined ? { username: files.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };
}

/** The mqtt.js options for `credentials`: only those given, so mqtt.js keeps its defaults for the rest. */
export function credentialClientOptions(credentials: BrokerCredentials): Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'username' | 'password'> {
  const { ca, cert, key, username, password } = credentials;
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

/** `ENOENT (no such file or directory)`: the code to search for, and words to read. */
function describeReadError(err: NodeJS.ErrnoException): string {
  // Node's message is "<CODE>: <words>, open '<path>'": the path is reported by the caller.
  const words = /^[A-Z]+: ([^,]+),/.exec(err.message)?.[1];
  return err.code === undefined ? err.message : `${err.code}${words !== undefined ? ` (${words})` : ''}`;
}
