import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
}

/** A certificate authority made for one test, with openssl: its CA certificate, and what it signs. */
export interface TestCertificateAuthority {
  readonly caFile: string;
  /** A server certificate for 127.0.0.1 and localhost (subjectAltName), as TLS clients check it. */
  issueServer(name: string): IssuedCertificate;
  /** A client certificate whose subject's common name is `commonName` (Mosquitto's use_identity_as_username). */
  issueClient(commonName: string): IssuedCertificate;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates a CA in `dir` (P-256 keys, valid for a day) that issues certificates into `dir`. */
export function makeCertificateAuthority(dir: string): TestCertificateAuthority {
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=persona test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 1;
  const issue = (name: string, subject: string, extensions: string[]): IssuedCertificate => {
    writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
    openssl(dir, ['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(++serial), '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    // Mosquitto started as root reads its key after dropping to its own user: a throwaway key may be readable.
    chmodSync(join(dir, `${name}.key`), 0o644);
    return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  };
  return {
    caFile: join(dir, 'ca.crt'),
    issueServer: (name) => issue(name, '/CN=localhost', ['basicConstraints=CA:FALSE', 'subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth']),
    issueClient: (commonName) => issue(commonName, `/CN=${commonName}`, ['basicConstraints=CA:FALSE', 'extendedKeyUsage=clientAuth']),
  };
}
