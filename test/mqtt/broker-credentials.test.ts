import t from 'tap';
import { join } from 'node:path';
import { credentialClientOptions, CredentialFileError, readBrokerCredentials } from '../../src/mqtt/broker-credentials.js';

void t.test('reads each named file; a password file loses the line ends at its end, and nothing else', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'CA PEM\n', 'cert.pem': 'CERT PEM\n', 'key.pem': 'KEY PEM\n', unix: ' pass word \n', windows: 'secret\r\n', bare: 'secret' });
  const read = readBrokerCredentials({ username: 'hu', passwordFile: join(dir, 'unix'), caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
  t.same(read, { username: 'hu', password: ' pass word ', ca: 'CA PEM\n', cert: 'CERT PEM\n', key: 'KEY PEM\n' });
  t.equal(readBrokerCredentials({ passwordFile: join(dir, 'windows') }).password, 'secret');
  t.equal(readBrokerCredentials({ passwordFile: join(dir, 'bare') }).password, 'secret');
  t.same(readBrokerCredentials({}), {}, 'nothing named, nothing read');
});

void t.test('every file that cannot be read is named, with its field and why', async (t) => {
  const dir = t.testdir({ 'ca.pem': 'CA PEM\n' });
  const files = { passwordFile: join(dir, 'absent'), caFile: join(dir, 'ca.pem'), keyFile: dir };
  let thrown: unknown;
  try {
    readBrokerCredentials(files);
  } catch (err) {
    thrown = err;
  }
  t.ok(thrown instanceof CredentialFileError);
  t.same((thrown as CredentialFileError).unreadable, [
    { field: 'passwordFile', file: join(dir, 'absent'), reason: 'ENOENT (no such file or directory)' },
    { field: 'keyFile', file: dir, reason: 'EISDIR (illegal operation on a directory)' },
  ]);
});

void t.test('mqtt.js options carry only what was given, so mqtt.js keeps its own defaults for the rest', async (t) => {
  t.same(credentialClientOptions({}), {});
  t.same(credentialClientOptions({ username: 'hu', password: 'secret', ca: 'CA' }), { username: 'hu', password: 'secret', ca: 'CA' });
  t.same(credentialClientOptions({ cert: 'C', key: 'K' }), { cert: 'C', key: 'K' });
});
