import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bootVm, kernelProblems, vmAvailable, type Vm } from './vm-harness.js';

const availability = vmAvailable();

void t.test('kernelProblems picks out kernel bug reports only', async (t) => {
  const log = [
    '[    1.2] PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug',
    '[    1.3] AMD-Vi: AMD IOMMUv2 functionality not available on this system - This is not a bug.',
    '[    2.0] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '[    2.1] WARNING: CPU: 0 PID: 1 at net/can/af_can.c:123 can_rcv+0x1/0x2 [can]',
    '[    2.2] Oops: 0002 [#1] PREEMPT SMP NOPTI',
    '[    2.3] general protection fault, probably for non-canonical address 0xdead000000000100',
    '[    2.4] Call Trace:',
    '[    2.5]  <TASK>',
  ].join('\n');
  t.same(kernelProblems(log), [
    '[    2.0] BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '[    2.1] WARNING: CPU: 0 PID: 1 at net/can/af_can.c:123 can_rcv+0x1/0x2 [can]',
    '[    2.2] Oops: 0002 [#1] PREEMPT SMP NOPTI',
    '[    2.3] general protection fault, probably for non-canonical address 0xdead000000000100',
    '[    2.4] Call Trace:',
  ]);
});

if (!availability.ok) {
  // A missing QEMU or kernel is a failure in CI, never a silent skip.
  if (process.env.CI) t.fail(availability.reason);
  else t.pass('QEMU VM tests', { skip: availability.reason });
} else {
  let vm: Vm | undefined;
  const booted = (): Vm => {
    if (!vm) throw new Error('the VM did not boot');
    return vm;
  };
  t.teardown(async () => {
    await vm?.shutdown();
  });

  void t.test('boots', async (t) => {
    vm = await bootVm({ log: (line) => t.comment(line) });
    t.ok(vm.bootMs > 0);
  });

  void t.test('uname -r is the booted kernel', async (t) => {
    const r = await booted().run('uname -r');
    t.equal(r.exitCode, 0);
    t.match(r.output, /^\d+\.\d+\.\d+\S*\n$/);
    t.equal(r.output.trim(), booted().kernelRelease);
  });

  void t.test('exit codes come back', async (t) => {
    t.equal((await booted().run('exit 3')).exitCode, 3);
    t.equal((await booted().run('true')).exitCode, 0);
    t.equal((await booted().run('kill -9 $$')).exitCode, 137);
  });

  void t.test('quotes, newlines, unicode and stderr survive', async (t) => {
    const r = await booted().run(`printf '%s\\n' "double \\"q\\"" 'single '"'"'q'"'"
echo "tab	and \\$HOME=$HOME"
echo 'grüße → ✓'
echo to-stderr >&2
printf 'no trailing newline'`);
    t.equal(r.exitCode, 0);
    t.equal(r.output, `double "q"\nsingle 'q'\ntab\tand $HOME=/root\ngrüße → ✓\nto-stderr\nno trailing newline`);
  });

  void t.test('stdin is /dev/null; cwd and user options', async (t) => {
    t.equal((await booted().run('cat; echo done')).output, 'done\n');
    t.equal((await booted().run('pwd', { cwd: '/usr/share' })).output, '/usr/share\n');
    const nobody = await booted().run('id -un; touch /tmp/nobody-was-here && ls -l /tmp/nobody-was-here', { user: 'nobody' });
    t.equal(nobody.exitCode, 0, nobody.output);
    t.match(nobody.output, /^nobody\n.* nobody .*nobody-was-here\n$/);
  });

  void t.test('large output comes back whole', async (t) => {
    const r = await booted().run('seq 1 200000');
    t.equal(r.exitCode, 0);
    t.equal(r.output.length, 1_288_895);
    t.ok(r.output.endsWith('\n199999\n200000\n'));
    t.comment(`1.3 MB of output in ${r.durationMs} ms`);
  });

  void t.test('a command that runs too long is killed and rejected', async (t) => {
    await t.rejects(booted().run('echo started; sleep 31 & wait', { timeoutMs: 1000 }), /timed out after 1000 ms.*\n--- output ---\nstarted\n/);
    // The whole session was killed, the background sleep too ([1] keeps pgrep from matching its own shell).
    t.equal((await booted().run("pgrep -f 'sleep 3[1]' || echo none left")).output, 'none left\n');
  });

  void t.test('SocketCAN: vcan, cansend, candump', async (t) => {
    const up = await booted().run('ip link add dev vcan0 type vcan && ip link set vcan0 up && ip -br link show vcan0');
    t.equal(up.exitCode, 0, up.output);
    t.match(up.output, /^vcan0\s+UNKNOWN\s+<NOARP,UP,LOWER_UP>/);
    const r = await booted().run('candump -n 1 vcan0 > /tmp/c.txt & sleep 0.5; cansend vcan0 123#DEADBEEF; wait; cat /tmp/c.txt', { timeoutMs: 10_000 });
    t.equal(r.exitCode, 0, r.output);
    t.match(r.output, /^\s*vcan0\s+123\s+\[4\]\s+DE AD BE EF\n$/);
  });

  void t.test('the host node runs inside the VM', async (t) => {
    const first = await booted().run('node -e "console.log(process.version)"');
    t.equal(first.exitCode, 0, first.output);
    t.match(first.output, /^v20\.\d+\.\d+\n$/);
    const again = await booted().run('node -e "console.log(process.version)"');
    t.equal(again.output, first.output);
    t.comment(`node -e in the VM: ${first.durationMs} ms first, ${again.durationMs} ms again`);
  });

  void t.test('the kernel log is clean and the VM shuts down', async (t) => {
    const dmesg = await booted().dmesg();
    t.match(dmesg, /Linux version/);
    t.match(dmesg, /vcan: Virtual CAN interface driver/);
    t.same(kernelProblems(dmesg), [], 'no BUG/WARNING/Oops/general protection/Call Trace lines');
    await booted().shutdown();
    await t.rejects(booted().run('true'), /shut down/);
  });

  void t.test('a module that cannot load fails the boot with the console tail', async (t) => {
    const release = booted().kernelRelease;
    const dir = join('/lib/modules', release, 'kernel/net/netfilter');
    const file = readdirSync(dir).find((f) => /^nf_conntrack\.ko/.test(f));
    if (!file) {
      t.pass('boot failure', { skip: `no nf_conntrack module in ${dir}` });
      return;
    }
    // nf_conntrack needs nf_defrag_ipv4/6 and libcrc32c, which are not loaded: insmod fails.
    await t.rejects(bootVm({ modules: [join(dir, file)] }), /guest init failed: insmod \/modules\/14-nf_conntrack\.ko[\s\S]*--- last 50 lines of the VM console ---[\s\S]*unknown symbol/i);
  });
}
