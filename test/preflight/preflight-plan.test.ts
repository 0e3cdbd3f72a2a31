import t from 'tap';
import { DEBIAN_NEEDS } from './debian-needs.js';
import { planAfterInstall, planPreflight, preflightMode, type Machine, type MissingPackage } from './preflight-plan.js';

/** The suite's needs as they would be checked on a machine that has only `installed`. */
function missingWith(installed: readonly string[]): MissingPackage[] {
  return DEBIAN_NEEDS.filter((need) => !installed.includes(need.package)).map((need) => ({ package: need.package, neededBy: need.neededBy, absent: `no ${need.package} here` }));
}

const ALL = DEBIAN_NEEDS.map((need) => need.package);
const ALL_BUT_TWO = ALL.filter((name) => name !== 'mosquitto' && name !== 'chromium');
const USER: Machine = { root: false, apt: true, mode: 'install' };
const ROOT: Machine = { root: true, apt: true, mode: 'install' };

void t.test('everything installed: the tests go on, with one line that says so', async (t) => {
  for (const machine of [USER, ROOT, { ...USER, mode: 'report' } as const]) {
    t.same(planPreflight(ALL.length, missingWith(ALL), machine), { action: 'go', text: `preflight: the ${ALL.length} Debian packages the tests need are all here` });
  }
});

void t.test('as root with apt-get: the missing packages are installed, after an apt-get update', async (t) => {
  const plan = planPreflight(ALL.length, missingWith(ALL_BUT_TWO), ROOT);
  t.match(plan, {
    action: 'install',
    packages: ['mosquitto', 'chromium'],
    commands: [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', 'mosquitto', 'chromium']],
  });
  t.equal(plan.text.split('\n')[0], 'preflight: installing 2 Debian packages that the tests need, as root with apt-get:');
  t.match(plan.text, /^ {2}mosquitto {2}the real broker of the MQTT tests \(test\/mqtt.*; no mosquitto here$/m, 'each with what needs it and what was not found');
  t.match(plan.text, /^ {2}chromium {3}the dashboard's browser tests/m, 'names aligned');
});

void t.test('as an ordinary user: no test runs, and the one sudo apt-get line is printed', async (t) => {
  const plan = planPreflight(ALL.length, missingWith(ALL_BUT_TWO), USER);
  t.equal(plan.action, 'stop');
  const lines = plan.text.split('\n');
  t.equal(lines[0], 'preflight: the tests need 2 Debian packages that are missing, so no test was run:');
  t.match(lines[1], /^ {2}mosquitto {2}the real broker of the MQTT tests/);
  t.match(lines[2], /^ {2}chromium {3}the dashboard's browser tests/);
  t.equal(lines[3], 'Install them, then run npm test again:');
  t.equal(lines[4], '  sudo apt-get install -y --no-install-recommends mosquitto chromium');
  t.equal(lines[5], 'To run the tests without them, each test that needs them failing or skipping with its reason: PERSONA_PREFLIGHT=report npm test');
  t.equal(lines.length, 6);
});

void t.test('a fresh machine: one line installs every package, in the order of the list', async (t) => {
  const plan = planPreflight(ALL.length, missingWith([]), USER);
  t.ok(plan.text.includes(`\n  sudo apt-get install -y --no-install-recommends ${ALL.join(' ')}\n`));
  t.equal(plan.text.split('\n').filter((l) => l.includes('apt-get install')).length, 1, 'one command, not one per package');
});

void t.test('without apt-get, or as root without it: a stop that says so, with Debian\'s names', async (t) => {
  const plan = planPreflight(ALL.length, missingWith(ALL.filter((n) => n !== 'sparse')), { root: true, apt: false, mode: 'install' });
  t.equal(plan.action, 'stop');
  t.match(plan.text, /^This machine has no apt-get: install what Debian calls it, then run npm test again:\n {2}apt-get install -y --no-install-recommends sparse$/m, 'no sudo for root; one package is "it"');
});

void t.test('PERSONA_PREFLIGHT=report: nothing is installed, the tests run, and what is missing is named', async (t) => {
  for (const root of [false, true]) {
    const plan = planPreflight(ALL.length, missingWith(ALL_BUT_TWO), { root, apt: true, mode: 'report' });
    t.equal(plan.action, 'go');
    t.match(plan.text, /^preflight: PERSONA_PREFLIGHT=report: the tests run without 2 Debian packages that are missing; those that need them fail or skip, each saying why:$/m);
    t.match(plan.text, root ? /\n {2}apt-get install -y --no-install-recommends mosquitto chromium$/ : /\n {2}sudo apt-get install -y --no-install-recommends mosquitto chromium$/);
  }
});

void t.test('after the install: go on when everything is there, else stop with what is still missing', async (t) => {
  t.same(planAfterInstall(ALL.length, ['mosquitto', 'chromium'], []), {
    action: 'go',
    text: `preflight: installed mosquitto chromium; the ${ALL.length} Debian packages the tests need are all here`,
  });
  const stillMissing = missingWith(ALL.filter((n) => n !== 'linux-image-amd64'));
  const plan = planAfterInstall(ALL.length, ['linux-image-amd64'], stillMissing);
  t.equal(plan.action, 'stop');
  t.equal(plan.text, 'preflight: apt-get installed linux-image-amd64, but the tests still find 1 Debian package missing, so no test was run:\n  linux-image-amd64  the kernel the VM boots (test/vm and test/e2e/vehicle.test.ts); no linux-image-amd64 here');
});

void t.test('the mode: unset or install installs, report reports, anything else is an error that says what is allowed', async (t) => {
  t.equal(preflightMode(undefined), 'install');
  t.equal(preflightMode(''), 'install');
  t.equal(preflightMode('install'), 'install');
  t.equal(preflightMode('report'), 'report');
  t.throws(() => preflightMode('skip'), { message: 'PERSONA_PREFLIGHT=skip is not a preflight mode: leave it unset to install what is missing, or set it to report to run the tests without it' });
});

void t.test('the list: each package once, each with what needs it', async (t) => {
  t.equal(new Set(ALL).size, ALL.length);
  for (const need of DEBIAN_NEEDS) t.match(need.neededBy, /\(test\//, `${need.package} names the tests that need it`);
});
