/**
 * The whole vehicle on a real kernel: persona.ko and persona_vnic.ko in QEMU, vcan0, Mosquitto,
 * and the daemon as an unprivileged member of group persona with the kernel backend, reading
 * signed manifests and a trust root installed as an image installs them. canplayer drives the
 * demo drive, condensed to what the statechart and the policy need, onto vcan0; each switch is
 * checked against what ethtool and sysfs read from the driver, and against what MQTT says was
 * read back. Then holds, a rollback attempt, drift, the CAN bus going silent, SIGTERM, and 1,000
 * switches under a watcher that must never see a mix.
 */
import t from 'tap';
import { join } from 'node:path';
import { buildKmod, kmodKernel } from '../vm/kmod-build.js';
import { bootVm, kernelProblems, type Vm } from '../vm/vm-harness.js';
import { STALL_S } from './condensed-drive.js';
import { CLI, ECU, NODE, root } from './ecu.js';
import { writeEcuFixtures, type EcuFixtures } from './ecu-fixtures.js';
import { GuestJournal } from './guest-journal.js';
import { guestSetupScript } from './guest-setup.js';
import { placed, placedHold, releaseCommand, selectCommand } from './head-unit.js';
import { readDriver } from './pvnic-readback.js';
import { checkSwitch, type Status, type Switch } from './switch-check.js';
import { vehicleAvailable } from './vehicle-availability.js';

/** Wakes every 250 ms and keeps in /tmp/stall-s the longest it slept beyond that, in seconds: one process, no fork per look. */
const STALL_WATCH = `perl -MTime::HiRes=time,sleep -e '$last = time; $most = 0; while (1) { sleep 0.25; $now = time; $most = $now - $last - 0.25 if $now - $last - 0.25 > $most; $last = $now; open my $f, ">", "/tmp/stall-s"; printf $f "%.2f\\n", $most; close $f }'`;

const availability = vehicleAvailable();
if (!availability.ok) {
  // A missing QEMU, kernel, headers or tool is a failure in CI, never a silent skip.
  if (process.env.CI) t.fail(availability.reason);
  else t.pass('the whole vehicle on a real kernel', { skip: availability.reason });
} else {
  // Booting under TCG, the drive at real time and the steps after it.
  t.setTimeout(900_000);
  let vm: Vm | undefined;
  let journal: GuestJournal | undefined;
  const booted = (): { vm: Vm; journal: GuestJournal } => {
    if (!vm || !journal) throw new Error('the VM did not come up');
    return { vm, journal };
  };
  t.teardown(async () => {
    if (vm) {
      const log = await vm.run('tail -n 40 /tmp/persona.log').catch(() => undefined);
      if (log && process.env.PERSONA_E2E_LOG) t.comment(log.output);
      await vm.shutdown();
    }
  });

  let fixtures: EcuFixtures | undefined;
  let daemonPid = '';
  /** The journal position after the drive's last switch. */
  let driveEnd = 0;

  void t.test('boots the ECU: modules, vcan0, Mosquitto, the deployed manifests, and the daemon as user personad', async (t) => {
    const kernel = kmodKernel();
    const build = buildKmod(root, kernel);
    t.same(build.warnings, [], 'the modules build without warnings');
    fixtures = writeEcuFixtures();
    vm = await bootVm({ kernel: kernel.image, modules: [build.modules.persona, build.modules.vnic], log: (line) => t.comment(line) });
    const setup = await vm.run(guestSetupScript(fixtures.parkedLog));
    t.equal(setup.exitCode, 0, setup.output);
    // Events are not retained: the journal must listen before the daemon starts.
    const listening = await vm.run('for i in $(seq 300); do grep -qs subscribed /tmp/mqtt.jsonl && break; sleep 0.1; done; grep -c subscribed /tmp/mqtt.jsonl');
    t.equal(listening.output.trim(), '1', `the MQTT journal subscribed: ${listening.output}`);
    journal = new GuestJournal(vm, '/tmp/mqtt.jsonl', `persona/${ECU}/`);
    const daemon = await vm.run(
      `cd /tmp && (${CLI} run --config /etc/persona/persona.config.json >/tmp/persona.log 2>&1 & echo $! >/tmp/persona.pid; wait $!; echo $? >/tmp/persona.exit) >/dev/null 2>&1 &
sleep 0.2; cat /tmp/persona.pid; id`,
      { user: 'personad' },
    );
    t.equal(daemon.exitCode, 0, daemon.output);
    t.match(daemon.output, /uid=64990\(personad\) gid=64990\(persona\)/, 'the daemon runs unprivileged, in group persona');
    daemonPid = daemon.output.trim().split('\n')[0]!;
    const { payload: status } = await journal.waitFor<Status>('status', (s) => s.state === 'online', 'status online', { timeoutMs: 60_000 });
    t.equal(status.backend, 'kmod', 'online with the kernel backend, not the simulation');
    const { payload: info } = await journal.waitFor<{ instance: { virtualised: boolean; hypervisor: string | null; evidence: string[]; vcpus: number } }>('info', () => true, 'info');
    t.comment(`instance: ${JSON.stringify(info.instance)}`);
    // QEMU under TCG sets the CPUID hypervisor bit; whether it is named depends on the SMBIOS tables the boot path leaves.
    t.match(info.instance, { virtualised: true, hypervisor: /^(kvm-qemu|unknown-hypervisor)$/, vcpus: 2 }, 'persona knows it runs in a guest');
    const { payload: first } = await journal.waitFor<Switch>('event/switch', () => true, 'the start personality');
    t.match(first, { from: null, to: 'safe', trigger: { reason: 'start' } }, 'no CAN yet: the safe personality');
    await checkSwitch(t, booted(), first, 0);
  });

  void t.test('canplayer plays the condensed demo drive: each switch reaches the driver, ring sizes wait for a standstill', async (t) => {
    const { vm, journal } = booted();
    const from = journal.mark;
    // How long the guest stalled at most while the drive played: what a failure here is read
    // against. Read once the drive's switches are in, or when waiting for one failed.
    await vm.run(`(${STALL_WATCH} >/dev/null 2>&1 &)`);
    let stall: string | undefined;
    const stalled = async (): Promise<string> => {
      stall ??= `the guest stalled ${(await vm.run('pkill -x perl; cat /tmp/stall-s')).output.trim()} s at most; the drive is built for ${STALL_S} s`;
      return stall;
    };
    const play = await vm.run(`(canplayer -I ${fixtures!.driveLog}; echo $? >/tmp/canplayer.exit) >/tmp/canplayer.log 2>&1 &`);
    t.equal(play.exitCode, 0, play.output);
    const expected = ['parked', 'city', 'city', 'highway', 'city', 'offroad', 'city', 'parked'];
    let next = from;
    const seen: Switch[] = [];
    driveEnd = from;
    try {
      for (const to of expected) {
        const { payload: sw, message } = await journal.waitFor<Switch>('event/switch', () => true, `switch ${seen.length + 1} (to ${to})`, { from: next, timeoutMs: 90_000 });
        next = message.index + 1;
        driveEnd = next;
        seen.push(sw);
        const pvnic = await checkSwitch(t, booted(), sw, from);
        const pendingRing = sw.pending.find((p) => p.name === 'DMA_buffer_size');
        if (pendingRing) {
          t.not(pvnic.parameters.DMA_buffer_size, pendingRing.to, `${sw.to}: the ring stays as it was while moving`);
          t.same(pvnic.pending, { DMA_buffer_size: pendingRing.to }, `${sw.to}: the ring size is pending`);
        }
      }
    } finally {
      t.comment(await stalled());
    }
    t.same(
      seen.map((s) => s.to),
      expected,
      `the personalities of the drive, in order (${await stalled()})`,
    );
    const contexts = journal.json<{ context: string }>('state/context', from).map((c) => c.context);
    t.same(contexts.filter((c, i) => c !== contexts[i - 1]), ['parked', 'city', 'highway', 'city', 'offroad', 'city', 'parked'], `parked → city → highway → city → offroad → city → parked (${await stalled()})`);
    const standstill = seen.find((s) => s.trigger.reason === 'standstill');
    t.ok(standstill, 'a switch at a standstill applied the ring size that waited');
    t.equal(journal.json<Switch>('event/switch', from).length, expected.length, 'and no other switch');
  });

  void t.test('the bus goes silent when the drive ends: unknown, then the safe personality', async (t) => {
    const { vm, journal } = booted();
    const done = await vm.run('for i in $(seq 1500); do test -s /tmp/canplayer.exit && break; sleep 0.1; done; cat /tmp/canplayer.exit', { timeoutMs: 180_000 });
    t.equal(done.output.trim(), '0', 'canplayer played the whole drive');
    await journal.waitFor<{ context: string }>('state/context', (c) => c.context === 'unknown', 'context unknown', { from: driveEnd });
    const { payload: sw } = await journal.waitFor<Switch>('event/switch', (s) => s.to === 'safe', 'the safe personality', { from: driveEnd });
    t.equal(sw.trigger.source, 'safety');
    await checkSwitch(t, booted(), sw, 0);
  });

  void t.test('parked again: a hold from a second client wins, and releasing it returns to automatic', async (t) => {
    const { vm, journal } = booted();
    const from = journal.mark;
    const play = await vm.run(`canplayer -l i -I ${fixtures!.parkedLog} >/tmp/canplayer-parked.log 2>&1 & echo $! >/tmp/canplayer.pid`);
    t.equal(play.exitCode, 0, play.output);
    const { payload: parked } = await journal.waitFor<Switch>('event/switch', (s) => s.to === 'parked', 'back to parked', { from, timeoutMs: 60_000 });
    await checkSwitch(t, booted(), parked, from);

    const holdFrom = journal.mark;
    const select = await vm.run(selectCommand('highway'), { user: 'nobody' });
    t.ok(placed(select), select.output);
    const { hold, token } = placedHold(select.output);
    t.ok(hold && token, `persona select printed the hold and its token: ${select.output.split('\n')[0]}`);
    const { payload: held } = await journal.waitFor<Switch>('event/switch', (s) => s.to === 'highway', 'the held personality', { from: holdFrom, timeoutMs: 30_000 });
    t.equal(held.trigger.source, 'hold', 'the hold beat the policy');
    t.equal(held.context.driving, 'parked', 'while the policy says parked');
    await checkSwitch(t, booted(), held, holdFrom);
    const { payload: holds } = await journal.waitFor<{ holds: Array<{ id: string; owner: string }> }>('state/holds', (h) => h.holds.length === 1, 'the hold in state/holds', { from: holdFrom });
    t.equal(holds.holds[0]!.id, hold);

    const releaseFrom = journal.mark;
    const release = await vm.run(releaseCommand(hold!, token!), { user: 'nobody' });
    t.equal(release.exitCode, 0, release.output);
    const { payload: back } = await journal.waitFor<Switch>('event/switch', (s) => s.to === 'parked', 'automatic again', { from: releaseFrom, timeoutMs: 30_000 });
    t.equal(back.trigger.source, 'policy');
    await checkSwitch(t, booted(), back, releaseFrom);
  });

  void t.test('a manifest replaced by an older signed version is refused, and nothing changes', async (t) => {
    const { vm, journal } = booted();
    const sign = await vm.run(`${CLI} manifest sign --key ${join(root, 'manifests/keys/demo-personalities.private.pem')} --out-dir /tmp/signed ${fixtures!.cityV2}`);
    t.equal(sign.exitCode, 0, `signed city v2: ${sign.output}`);
    const newer = journal.mark;
    await vm.run(`cp /tmp/signed/city.dsse.json /etc/persona/manifests/pvnic/city.dsse.json && kill -HUP ${daemonPid}`);
    const { payload: loaded } = await journal.waitFor<{ rejected: unknown[] }>('event/manifest', () => true, 'the reload', { from: newer });
    t.same(loaded.rejected, [], 'city version 2 is accepted');
    await journal.waitFor<{ manifests: Array<{ name: string; version: number }> }>('info', (i) => i.manifests.some((m) => m.name === 'city' && m.version === 2), 'city v2 in info', { from: newer });

    const older = journal.mark;
    const personalityBefore = journal.on('state/personality').at(-1)!.text;
    await vm.run(`cp ${join(root, 'manifests/pvnic/city.dsse.json')} /etc/persona/manifests/pvnic/city.dsse.json && kill -HUP ${daemonPid}`);
    const { payload: rejected } = await journal.waitFor<{ what: string; code?: string; status: number }>('event/rejected', () => true, 'the rollback refused', { from: older });
    t.match(rejected, { what: /city\.dsse\.json/, code: 'E_ROLLBACK', status: 422 });
    const { payload: reloaded } = await journal.waitFor<{ changed: unknown[] }>('event/manifest', () => true, 'the refused reload', { from: older });
    t.same(reloaded.changed, [], 'no personality changed');
    await journal.refresh();
    t.same(journal.on('info', older), [], 'info is not published again: it has nothing new to say');
    const info = journal.json<{ manifests: Array<{ name: string; version: number }> }>('info').at(-1);
    t.equal(info?.manifests.find((m) => m.name === 'city')?.version, 2, 'version 2 stays in force');
    t.same(journal.on('event/switch', older), [], 'no switch');
    t.equal(journal.on('state/personality').at(-1)!.text, personalityBefore, 'state/personality unchanged');
  });

  void t.test('ethtool behind persona\'s back: degraded, event/drift, and the personality is reasserted', async (t) => {
    const { vm, journal } = booted();
    const from = journal.mark;
    const before = await readDriver(vm);
    const change = await vm.run('ethtool -C pvnic0 rx-usecs 123');
    t.equal(change.exitCode, 0, change.output);
    const { payload: status } = await journal.waitFor<Status>('status', (s) => s.state === 'degraded', 'status degraded', { from });
    t.match(status.reason, /drift on pvnic pvnic0: interrupt_coalescence_time/);
    const { payload: drift } = await journal.waitFor<{ driver: string; resources: string[]; parameters: string[]; action: string }>('event/drift', () => true, 'event/drift', { from });
    t.match(drift, { driver: 'pvnic', resources: ['pvnic0'], parameters: ['interrupt_coalescence_time'], action: 'reassert' });
    await journal.waitFor<Status>('status', (s) => s.state === 'online', 'online again after reasserting', { from });
    t.same(await readDriver(vm), before, 'the driver shows the personality again');
  });

  void t.test('health: drops injected into pvnic after a switch to highway revert it within its window, hold or not', async (t) => {
    const { vm, journal } = booted();
    // Both ports receive; pvnic0 a flood far beyond what highway's ring takes per interrupt.
    const flood = await vm.run('ip link set pvnic0 up && ip link set pvnic1 up && echo 1000000 >/sys/kernel/debug/pvnic/pvnic0/rx_rate_pps');
    t.equal(flood.exitCode, 0, flood.output);
    const from = journal.mark;
    const select = await vm.run(selectCommand('highway'), { user: 'nobody' });
    t.ok(placed(select), select.output);
    const { message: switched } = await journal.waitFor<Switch>('event/switch', (s) => s.to === 'highway', 'the switch to highway', { from, timeoutMs: 30_000 });
    const { payload: health } = await journal.waitFor<{ personality: string; revertTo: string; afterMs: number; windowMs: number; breaches: Array<{ metric: string; value: number; limit: number }> }>('event/health', () => true, 'event/health', { from, timeoutMs: 30_000 });
    t.match(health, { personality: 'highway', revertTo: 'parked', windowMs: 5000, breaches: [{ metric: 'rx_dropped_per_s', limit: 100 }] });
    const { payload: revert, message: reverted } = await journal.waitFor<Switch & { trigger: { rule: string } }>('event/switch', (s) => s.from === 'highway', 'the revert', { from, timeoutMs: 30_000 });
    t.match(revert, { to: 'parked', trigger: { source: 'safety', rule: 'health of highway', reason: /^health of highway on pvnic: rx_dropped_per_s \d+/ } }, 'reverted as a safety rule, over the hold');
    await checkSwitch(t, booted(), revert, from);
    const latencyMs = reverted.at - switched.at;
    t.comment(`health revert: breach ${Math.round(health.afterMs)} ms after the switch (CAN time), ${Math.round(health.breaches[0]!.value)} drops/s; event/switch to highway → event/switch back ${latencyMs} ms (guest wall time)`);
    t.ok(latencyMs < health.windowMs, 'reverted within the window');
    const { hold, token } = placedHold(select.output);
    const cleanup = await vm.run(`${releaseCommand(hold!, token!)} && echo 8000 >/sys/kernel/debug/pvnic/pvnic0/rx_rate_pps && ip link set pvnic0 down && ip link set pvnic1 down`, { user: 'root' });
    t.equal(cleanup.exitCode, 0, cleanup.output);
    await journal.refresh();
    t.notOk(journal.json<Switch>('event/switch', reverted.index + 1).some((s) => s.to === 'highway'), 'highway stays quarantined');
  });

  void t.test('SIGTERM: offline published, exit 0, the driver keeps the last personality', async (t) => {
    const { vm, journal } = booted();
    const from = journal.mark;
    const before = await readDriver(vm);
    // The bus keeps running until the daemon is gone: a silent bus would switch to safe first.
    await vm.run(`kill -TERM ${daemonPid}`);
    const exit = await vm.run('for i in $(seq 300); do test -s /tmp/persona.exit && break; sleep 0.1; done; cat /tmp/persona.exit; kill $(cat /tmp/canplayer.pid)');
    t.equal(exit.output.trim(), '0', 'the daemon exited with 0');
    await journal.waitFor<Status>('status', (s) => s.state === 'offline', 'status offline', { from });
    t.same(await readDriver(vm), before, 'the kernel keeps the last applied personality');
  });

  void t.test('1,000 switches between two personalities that differ in every parameter: readers never see a mix', async (t) => {
    const { vm } = booted();
    const loop = `${NODE} ${join(root, 'dist/test/e2e/switch-loop.js')} /etc/persona/manifests /etc/persona/manifests/trust /tmp/switch-state.json`;
    const first = await vm.run(`${loop} parked highway 1`, { user: 'personad' });
    t.equal(first.exitCode, 0, first.output);
    const watcher = join(root, 'dist/kmod/tests/watch_values');
    await vm.run(`(${watcher} pvnic0 >/tmp/watch.json 2>&1 &) ; sleep 0.5`);
    const run = await vm.run(`${loop} highway parked 1000`, { user: 'personad', timeoutMs: 180_000 });
    t.equal(run.exitCode, 0, run.output);
    const watched = await vm.run('pkill -TERM -x watch_values; for i in $(seq 100); do test -s /tmp/watch.json && break; sleep 0.1; done; cat /tmp/watch.json');
    const result = JSON.parse(watched.output.trim()) as { reads: number; retried: number; snapshots: Record<string, number> };
    const switches = JSON.parse(run.output.trim().split('\n').at(-1)!) as { switches: number; p50Us: number; p99Us: number };
    t.equal(switches.switches, 1000);
    const whole = {
      parked: 'ethtool rx-usecs=8000 rx=8 priv-flags=0x4; sysfs 8000000 16384 aggressive [rx_checksum]',
      highway: 'ethtool rx-usecs=4000 rx=128 priv-flags=0x15; sysfs 4000000 262144 disabled [gro rx_checksum tso]',
    };
    const mixes = Object.entries(result.snapshots).filter(([values]) => values !== whole.parked && values !== whole.highway);
    const mixed = mixes.reduce((sum, [, n]) => sum + n, 0);
    t.comment(`watcher: ${result.reads} reads, ${result.retried} straddled a switch, ${result.snapshots[whole.parked] ?? 0} parked, ${result.snapshots[whole.highway] ?? 0} highway, ${mixed} mixed; switch p50 ${switches.p50Us} µs, p99 ${switches.p99Us} µs`);
    t.equal(mixed, 0, `no read saw a mix: ${JSON.stringify(mixes)}`);
    t.ok((result.snapshots[whole.parked] ?? 0) > 0 && (result.snapshots[whole.highway] ?? 0) > 0, 'the watcher saw both personalities');
    t.ok(result.reads > 1000, `the watcher read ${result.reads} times`);
  });

  void t.test('the kernel log is clean', async (t) => {
    t.same(kernelProblems(await booted().vm.dmesg()), [], 'no BUG, WARNING or Oops');
  });
}
