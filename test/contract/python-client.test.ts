import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { startLiveDaemon } from '../helpers/live-daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { findPythonWithPaho } from '../helpers/python-paho.js';

const ROOT = packageRoot();
const ACL = join(ROOT, 'docs/mosquitto.acl.example');
const SCRIPT = join(ROOT, 'test/contract/mqtt_contract.py');
/** The whole run of the script, at most; it takes about half of it. */
const SCRIPT_TIMEOUT_MS = 90_000;
/** The users of the contract, and the roles the daemon's apiClients gives them (viewer: the default, observer). */
const USERS = ['infotainment', 'media', 'integrator', 'viewer'] as const;

type Line = { plan?: string[]; paho?: string; check?: string; ok?: boolean; detail?: string; ms?: number; transcript?: string };

void t.test('a Python paho-mqtt client holds persona to its MQTT contract under the shipped ACL', async (t) => {
  const found = findPythonWithPaho();
  if ('problems' in found) {
    t.fail(`no python3 with paho-mqtt (Debian package python3-paho-mqtt, which npm test installs or names): ${found.problems.join('; ')}`);
    return;
  }
  t.comment(`${found.python} with paho-mqtt ${found.paho}`);

  // Passwords go into the file in plain text, for its owner only, until mosquitto_passwd -U has
  // hashed them in place (then Mosquitto, which drops root for its own user, may read it), and to
  // the script through its environment: never on a command line.
  const passwords = Object.fromEntries(['persona', ...USERS].map((user) => [user, randomBytes(18).toString('base64url')]));
  const passwordFile = join(t.testdir(), 'passwords');
  writeFileSync(passwordFile, Object.entries(passwords).map(([user, password]) => `${user}:${password}\n`).join(''), { mode: 0o600 });
  execFileSync('mosquitto_passwd', ['-U', passwordFile]);
  chmodSync(passwordFile, 0o644);
  const broker = await startMosquitto(['allow_anonymous false', `password_file ${passwordFile}`, `acl_file ${ACL}`]);
  t.teardown(() => broker.stop());

  await startLiveDaemon(t, broker.url, 'demo-ecu', [{ seconds: 2, speedKmh: 0, gear: 126 }], { username: 'persona', password: passwords.persona! }, {
    // An external broker, as in a car: a client no rule names is an observer.
    broker: broker.url,
    apiClients: [
      { client: 'infotainment', role: 'app' },
      { client: 'integrator', role: 'integrator' },
      { client: 'media', role: 'app' },
    ],
  });

  const clients = Object.fromEntries(USERS.map((user) => [user, passwords[user]]));
  const child = spawn(found.python, [SCRIPT, broker.url], { env: { ...process.env, PERSONA_CONTRACT_PASSWORDS: JSON.stringify(clients) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);

  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l): Line => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        return { check: `a line the script printed: ${l}`, ok: false };
      }
    });
  const plan = lines.find((l) => l.plan)?.plan ?? [];
  t.ok(plan.length > 0, 'the script states its checks', { stderr });
  const reported = new Set<string>();
  for (const line of lines.filter((l) => l.check !== undefined)) {
    reported.add(line.check!);
    t.ok(line.ok, line.check!, { detail: line.detail, ms: line.ms });
  }
  for (const name of plan.filter((n) => !reported.has(n))) t.fail(`${name}: not run`, { code, signal, stderr });
  for (const line of lines.filter((l) => l.transcript)) t.comment(line.transcript!);
  t.equal(signal, null, `the script ended by itself within ${SCRIPT_TIMEOUT_MS / 1000} s`);
  t.equal(code, 0, 'the script exits 0: every check passed', { stderr });
});
