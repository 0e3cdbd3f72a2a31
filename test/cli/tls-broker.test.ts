import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import type { DaemonOptions } from '../../src/daemon/build-daemon.js';
import type { Output } from '../../src/cli/output.js';
import { releaseCommand } from '../../src/cli/release-command.js';
import { selectCommand } from '../../src/cli/select-command.js';
import { statusCommand } from '../../src/cli/status-command.js';
import { CITY_DRIVE, startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto, type MosquittoBroker, type TlsListener } from '../helpers/mosquitto.js';
import { spawnPersona } from '../helpers/persona-process.js';
import { makeCertificateAuthority } from '../helpers/test-certificates.js';

/** The shipped ACL names its ECU: the daemons here are that ECU. */
const SHIPPED_ACL = join(packageRoot(), 'docs/mosquitto.acl.example');
const ECU_ID = 'demo-ecu';
/** Roles by username: the head unit an app, one user an integrator; anyone else an observer. */
const API_ROLES = { apiClients: [{ client: 'infotainment', role: 'app' }, { client: 'integrator', role: 'integrator' }], apiDefaultRole: 'observer' };

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs one command in this process, as main does. */
async function cli(command: (args: string[], out: Output) => Promise<number>, args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, { print: (l) => out.push(l), log: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Runs the compiled CLI to its end: main's own exit code. */
async function persona(t: Test, args: string[]): Promise<Run> {
  const p = spawnPersona(t, args);
  const { code } = await p.exited;
  return { code, out: p.stdout.join('\n'), err: p.stderr.join('\n') };
}

/**
 * A daemon on the broker, the city drive played to its end before this resolves: then time
 * stands still, so the first hold switches at once and every later change is deferred.
 */
async function startDaemon(t: Test, broker: MosquittoBroker, connection: DaemonOptions['connection']): Promise<Daemon> {
  let ended = (): void => undefined;
  const driven = new Promise<void>((resolve) => (ended = resolve));
  const daemon = await startLiveDaemon(t, broker.url, ECU_ID, [...CITY_DRIVE, { seconds: 0, silent: true, onStart: () => ended() }], connection, API_ROLES);
  await driven;
  return daemon;
}

void t.test('over TLS with a username and a password file, under the shipped ACL', async (t) => {
  const dir = t.testdir();
  const authority = makeCertificateAuthority(dir);
  const server = authority.issueServer('broker');
  const passwords = join(dir, 'passwd');
  const users = ['persona', 'infotainment', 'integrator', 'visitor'];
  for (const [i, user] of users.entries()) {
    execFileSync('mosquitto_passwd', ['-b', ...(i === 0 ? ['-c'] : []), passwords, user, `${user}-secret`]);
    // With its line end, as `echo` writes it: not part of the password.
    writeFileSync(join(dir, `${user}.password`), `${user}-secret\n`);
  }
  const tls: TlsListener = { cafile: authority.caFile, certfile: server.certFile, keyfile: server.keyFile };
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwords}`, `acl_file ${SHIPPED_ACL}`], undefined, tls);
  t.teardown(() => broker.stop());
  t.match(broker.url, /^mqtts:\/\//);
  const daemon = await startDaemon(t, broker, { ca: readFileSync(authority.caFile, 'utf8'), username: 'persona', password: 'persona-secret' });
  const as = (user: string): string[] => ['--broker', broker.url, '--ca-file', authority.caFile, '--username', user, '--password-file', join(dir, `${user}.password`)];

  await t.test('status reads the retained state over TLS', async (t) => {
    const status = await cli(statusCommand, as('infotainment'));
    t.equal(status.code, 0, status.err);
    t.match(status.out, new RegExp(`^persona/${ECU_ID} at ${broker.url}: online, `, 'm'));
  });

  await t.test('select: the hold is placed, in force, and owned by the username; its release line reaches the broker the same way', async (t) => {
    const args = ['highway', '--hold', '90s', '--priority', '50', ...as('infotainment')];
    const select = await cli(selectCommand, args);
    t.equal(select.code, 0, select.err);
    t.comment(`$ persona select ${args.join(' ')}\n${select.out}\n(exit ${select.code})`.replaceAll(dir, '.'));
    const [placed, ...others] = daemon.holds();
    t.same(others, []);
    t.match(placed, { driver: 'pvnic', personality: 'highway', priority: 50, owner: 'infotainment' });
    const token = /^token: ([0-9a-f]{64})$/m.exec(select.out)?.[1] ?? '';
    const release = ['release', placed!.id, token, ...as('infotainment')];
    t.equal(/^release with: (.*)$/m.exec(select.out)?.[1], `persona ${release.join(' ')}`);
    const released = await cli(releaseCommand, release.slice(1));
    t.same([released.code, released.out], [0, `released hold ${placed!.id}`], released.err);
    t.same(daemon.holds(), []);
  });

  await t.test('select outranked by a stronger hold: exit 3, the hold stands, its token and the reason are printed', async (t) => {
    const strong = await cli(selectCommand, ['parked', '--priority', '900', ...as('integrator')]);
    t.equal(strong.code, 3, 'deferred: the last switch was just now');
    t.match(strong.err, /^persona select: 409 placed, but deferred until \S+$/);
    const strongHold = daemon.holds()[0]!.id;
    const weak = await persona(t, ['select', 'offroad', ...as('infotainment')]);
    t.equal(weak.code, 3);
    const [, hold = '', token = ''] = /^hold (h\d+-\w+) placed, not in force: offroad for pvnic, 10m\ntoken: ([0-9a-f]{64})\n/.exec(weak.out) ?? [];
    t.match(daemon.holds(), [{ id: strongHold, owner: 'integrator' }, { id: hold, owner: 'infotainment', personality: 'offroad' }], 'placed all the same');
    t.equal(weak.err, `persona select: 409 placed, but outranked by hold ${strongHold} on pvnic`);
    const released = await cli(releaseCommand, [hold, token, ...as('infotainment')]);
    t.equal(released.code, 0, released.err);
  });

  await t.test('a refusal shows its code: a priority above the role, an action outside it', async (t) => {
    const above = await cli(selectCommand, ['city', '--priority', '600', ...as('infotainment')]);
    t.same([above.code, above.err], [1, 'persona select: 403 E_PRIORITY /priority: role app may ask for at most 500, got 600 (at /priority)']);
    const visitor = await cli(selectCommand, ['city', ...as('visitor')]);
    t.same([visitor.code, visitor.err], [1, 'persona select: 403 E_ROLE visitor has role observer, which may call why, list']);
  });

  await t.test('without --ca-file the broker is not trusted: exit 1, and what to give', async (t) => {
    const untrusted = await cli(statusCommand, ['--broker', broker.url, '--username', 'infotainment', '--password-file', join(dir, 'infotainment.password')]);
    t.same([untrusted.code, untrusted.out], [1, '']);
    t.match(untrusted.err, new RegExp(`^persona status: cannot reach the MQTT broker at ${broker.url}: .+: give the CA that signed the broker's certificate with --ca-file$`));
  });

  await t.test('a wrong password is refused by the broker: exit 1', async (t) => {
    writeFileSync(join(dir, 'wrong.password'), 'guess\n');
    const wrong = await cli(statusCommand, [...as('infotainment').slice(0, -1), join(dir, 'wrong.password')]);
    t.equal(wrong.code, 1);
    t.equal(wrong.err, `persona status: cannot reach the MQTT broker at ${broker.url}: Connection refused: Not authorized: does the broker know this user, and this password or certificate?`);
  });
});

void t.test('over TLS with a client certificate: its common name is the username, and the hold owner', async (t) => {
  const dir = t.testdir();
  const authority = makeCertificateAuthority(dir);
  const server = authority.issueServer('broker');
  const daemonCert = authority.issueClient('persona');
  const headUnit = authority.issueClient('infotainment');
  const broker = await startMosquitto(['allow_anonymous false', `acl_file ${SHIPPED_ACL}`], undefined, { cafile: authority.caFile, certfile: server.certFile, keyfile: server.keyFile, requireCertificate: true, useIdentityAsUsername: true });
  t.teardown(() => broker.stop());
  const read = (file: string): string => readFileSync(file, 'utf8');
  const daemon = await startDaemon(t, broker, { ca: read(authority.caFile), cert: read(daemonCert.certFile), key: read(daemonCert.keyFile) });
  const at = ['--broker', broker.url, '--ca-file', authority.caFile];

  const select = await cli(selectCommand, ['highway', '--hold', '2h', ...at, '--cert', headUnit.certFile, '--key', headUnit.keyFile]);
  t.equal(select.code, 0, select.err);
  t.match(daemon.holds(), [{ personality: 'highway', owner: 'infotainment' }]);
  t.match(select.out, new RegExp(`^release with: persona release h\\d+-\\w+ [0-9a-f]{64} --broker ${broker.url} --ca-file ${authority.caFile} --cert ${headUnit.certFile} --key ${headUnit.keyFile}$`, 'm'));

  const without = await cli(statusCommand, at);
  t.equal(without.code, 1, 'no certificate, no connection');
  t.equal(without.err, `persona status: cannot reach the MQTT broker at ${broker.url}: tlsv13 alert certificate required: the broker asks for a client certificate: give --cert and --key`);
});

void t.test('flags that cannot work are refused before anything is sent', async (t) => {
  const dir = t.testdir({ 'ca.crt': 'not a certificate\n' });
  const missing = await cli(selectCommand, ['city', '--broker', 'mqtts://127.0.0.1:1', '--ca-file', join(dir, 'ca.crt'), '--username', 'infotainment', '--password-file', join(dir, 'nowhere.password')]);
  t.same([missing.code, missing.out, missing.err], [2, '', `persona select: cannot read --password-file ${join(dir, 'nowhere.password')}: ENOENT (no such file or directory)`]);
  const both = await cli(statusCommand, ['--broker', 'mqtts://127.0.0.1:1', '--ca-file', join(dir, 'nowhere.crt'), '--cert', dir, '--key', join(dir, 'ca.crt')]);
  t.same([both.code, both.err.split('\n')], [2, [`persona status: cannot read --ca-file ${join(dir, 'nowhere.crt')}: ENOENT (no such file or directory)`, `persona status: cannot read --cert ${dir}: EISDIR (illegal operation on a directory)`]], 'every file that cannot be read, each on a line');

  await t.rejects(cli(selectCommand, ['city', '--username', 'hu', '--password', 'secret']), { message: /^--password: a password on the command line is there for every user of this machine to read .*give --password-file$/ });
  await t.rejects(cli(selectCommand, ['city', '--broker', 'mqtt://hu:secret@127.0.0.1:1883']), { message: /^--broker: a password in the URL .*give --username and --password-file$/ });
  await t.rejects(cli(selectCommand, ['city', '--password-file', join(dir, 'ca.crt')]), { message: '--password-file: whose password? give --username too' });
  await t.rejects(cli(selectCommand, ['city', '--ca-file', join(dir, 'ca.crt')]), { message: /^--ca-file, --cert and --key are for a TLS broker \(mqtts:\/\/\), but --broker is mqtt:\/\/: / });
  await t.rejects(cli(selectCommand, ['city', '--broker', 'mqtts://127.0.0.1:1', '--cert', join(dir, 'ca.crt')]), { message: '--cert: give its private key with --key too' });
  await t.rejects(cli(selectCommand, ['city', '--username', 'head/unit']), { message: /^--username "head\/unit": a name with \/, \+ or # cannot be the <client> of a topic/ });
  const spawned = await persona(t, ['status', '--username', 'hu', '--password', 'secret']);
  t.same([spawned.code, spawned.out], [1, ''], 'a usage error, through main');
});
