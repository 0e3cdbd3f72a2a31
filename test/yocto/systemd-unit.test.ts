import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';

const layer = join(packageRoot(), 'yocto-layer');
const unitFile = join(layer, 'recipes-support/persona/files/persona.service');
const dropInFile = join(layer, 'recipes-support/persona-mosquitto/files/persona.conf');
const unit = readFileSync(unitFile, 'utf8');

/** The unit as the recipe installs it, with the paths of this host so that systemd can check them. */
function installedUnit(dir: string): string {
  // systemd-analyze verify insists that ExecStart's program exists and is executable.
  writeFileSync(join(dir, 'persona'), '#!/bin/sh\n');
  chmodSync(join(dir, 'persona'), 0o755);
  const path = join(dir, 'persona.service');
  writeFileSync(path, unit.replaceAll('@BINDIR@', dir).replaceAll('@SYSCONFDIR@', '/etc'));
  return path;
}

function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

void t.test('systemd-analyze verify accepts the unit', async (t) => {
  const path = installedUnit(t.testdir());
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
  t.equal(result.error, undefined, 'systemd-analyze runs (Debian package systemd)');
  t.equal(result.stderr, '', 'no complaints');
  t.equal(result.status, 0);
});

void t.test('the unit is hardened as the layer promises', async (t) => {
  const s = settings(unit);
  const one = (key: string): string | undefined => s.get(key)?.at(-1);
  t.equal(one('Type'), 'notify', 'ready only when persona says so');
  t.equal(one('NotifyAccess'), 'main');
  t.match(one('WatchdogSec'), /^[1-9][0-9]*$/);
  t.equal(one('User'), 'persona');
  t.equal(one('NoNewPrivileges'), 'yes');
  t.equal(one('ProtectSystem'), 'strict');
  t.equal(one('ProtectHome'), 'yes');
  t.equal(one('PrivateTmp'), 'yes');
  t.equal(one('CapabilityBoundingSet'), '', 'no capabilities at all');
  t.equal(one('RestrictAddressFamilies'), 'AF_UNIX AF_INET AF_INET6 AF_CAN AF_NETLINK');
  t.equal(one('DevicePolicy'), 'closed');
  t.same(s.get('DeviceAllow'), ['/dev/persona rw'], 'the only device');
  t.equal(one('StateDirectory'), 'persona', 'the anti-rollback store');
  t.equal(one('Restart'), 'on-failure');
  t.match(one('ExecStart'), /^@BINDIR@\/persona run --config @SYSCONFDIR@\/persona\/persona\.config\.json$/);
});

void t.test('the daemon runs with the heap settings of npm start: a small young generation, a bounded heap, two malloc arenas', async (t) => {
  const environment = new Map((settings(unit).get('Environment') ?? []).map((e) => /^"?([A-Z_]+)=(.*?)"?$/.exec(e)!.slice(1, 3) as [string, string]));
  t.equal(environment.get('NODE_OPTIONS'), '--max-semi-space-size=1 --max-old-space-size=96');
  t.equal(environment.get('MALLOC_ARENA_MAX'), '2');
  const start = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  t.equal(start, `MALLOC_ARENA_MAX=${environment.get('MALLOC_ARENA_MAX')} node ${environment.get('NODE_OPTIONS')} dist/src/cli/main.js run --http 127.0.0.1:8080`, 'npm start runs the daemon with the same settings');
});

void t.test("systemd's own exposure rating of the unit stays low", async (t) => {
  const path = installedUnit(t.testdir());
  // --threshold is on systemd's internal scale, ten times the printed one (0.0 safest .. 10.0):
  // a non-zero exit above 2.5. Node's JIT alone costs MemoryDenyWriteExecute.
  const output = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', '--threshold=25', path], { encoding: 'utf8' });
  t.match(output, /Overall exposure level for persona\.service: (1\.\d|2\.[0-5]) /);
});

void t.test("the mosquitto drop-in verifies on top of a mosquitto.service shaped like meta-networking's", async (t) => {
  const dir = t.testdir();
  for (const program of ['mosquitto', 'persona-mqtt-passwords']) {
    writeFileSync(join(dir, program), '#!/bin/sh\n');
    chmodSync(join(dir, program), 0o755);
  }
  writeFileSync(
    join(dir, 'mosquitto.service'),
    ['[Unit]', 'Description=Mosquitto MQTT Broker', '[Service]', 'Type=notify', 'NotifyAccess=main', 'ExecStart=/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf', 'Restart=on-failure', '[Install]', 'WantedBy=multi-user.target', ''].join('\n'),
  );
  const dropIn = readFileSync(dropInFile, 'utf8');
  mkdirSync(join(dir, 'mosquitto.service.d'));
  writeFileSync(join(dir, 'mosquitto.service.d/persona.conf'), dropIn.replaceAll('@LIBEXECDIR@/persona', dir).replaceAll('@SBINDIR@', dir).replaceAll('@SYSCONFDIR@', '/etc'));
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'mosquitto.service')], { encoding: 'utf8' });
  t.equal(result.stderr, '', 'no complaints: the drop-in and the programs it names are found');
  t.equal(result.status, 0);
  t.same(settings(dropIn).get('ExecStart'), ['', '@SBINDIR@/mosquitto -c @SYSCONFDIR@/mosquitto/persona-broker.conf'], "the default ExecStart is replaced, not added to");
});

void t.test('persona-host.service verifies, is hardened and writes only its namespace folder', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'persona'), '#!/bin/sh\n');
  chmodSync(join(dir, 'persona'), 0o755);
  const text = readFileSync(join(layer, 'recipes-support/persona/files/persona-host.service'), 'utf8');
  const path = join(dir, 'persona-host.service');
  writeFileSync(path, text.replaceAll('@BINDIR@', dir).replaceAll('@SYSCONFDIR@', '/etc'));
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
  t.equal(result.stderr, '', 'no complaints');
  t.equal(result.status, 0);
  const s = settings(text);
  const one = (key: string): string | undefined => s.get(key)?.at(-1);
  t.match(one('ExecStart'), /^@BINDIR@\/persona host --config @SYSCONFDIR@\/persona\/persona-host\.json$/);
  t.equal(one('ConditionPathExists'), '@SYSCONFDIR@/persona/persona-host.json', 'not started before it is configured');
  t.equal(one('StateDirectory'), 'persona-host', 'the namespace folder');
  t.equal(one('ProtectSystem'), 'strict');
  t.equal(one('CapabilityBoundingSet'), '', 'no capabilities at all');
  t.equal(one('PrivateDevices'), 'yes', 'no device at all');
  const security = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', '--threshold=25', path], { encoding: 'utf8' });
  t.match(security, /Overall exposure level for persona-host\.service: (1\.\d|2\.[0-5]) /);
  t.comment(/Overall exposure level.*$/m.exec(security)?.[0] ?? '');
});
