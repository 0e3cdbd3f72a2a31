import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { buildKmod, kmodAvailable, kmodKernel } from './kmod-build.js';
import { bootVm, kernelProblems } from './vm-harness.js';

const root = packageRoot();
const availability = kmodAvailable();

/**
 * Two loop devices bound to files in the guest's /tmp, so their queues are real block-layer
 * queues; the mapping names loop0 and loop1.
 */
const LOOP_SETUP = `set -e
for i in 0 1; do
  truncate -s 16M /tmp/loop$i.img
  losetup /dev/loop$i /tmp/loop$i.img
done
cat /sys/block/loop0/queue/scheduler /sys/block/loop0/queue/read_ahead_kb /sys/block/loop0/queue/nomerges
ethtool -i pvnic0 | head -2`;

if (!availability.ok) {
  if (process.env.CI) t.fail(availability.reason);
  else t.pass('userspace backends on a real kernel', { skip: availability.reason });
} else {
  t.setTimeout(360_000);
  void t.test('EthtoolBackend on pvnic and SysfsBackend on loop devices pass the backend conformance suite', async (t) => {
    const kernel = kmodKernel();
    const build = buildKmod(root, kernel);
    const loop = join('/lib/modules', kernel.release, 'kernel/drivers/block/loop.ko');
    const vm = await bootVm({ kernel: kernel.image, modules: [build.modules.persona, build.modules.vnic, loop], log: (line) => t.comment(line) });
    t.teardown(() => vm.shutdown());
    const setup = await vm.run(LOOP_SETUP);
    t.equal(setup.exitCode, 0, setup.output);
    const probe = join(root, 'dist/test/vm/userspace-backends-probe.js');
    t.ok(existsSync(probe), `${probe} is built by npm test (npm run build)`);
    const r = await vm.run(`node ${probe}`, { timeoutMs: 220_000 });
    t.equal(r.exitCode, 0, r.output);
    const summary = /^# \{ total: (\d+), pass: (\d+) \}$/m.exec(r.output);
    t.ok(summary, 'the probe ran to its summary');
    t.comment(`conformance in the VM: ${summary?.[0] ?? r.output.split('\n').slice(-3).join(' ')}`);
    t.equal(summary?.[2], summary?.[1], 'every assertion passed');
    t.equal((r.output.match(/^ {4}(not )?ok \d+ - .* # time=[\d.]+ms$/gm) ?? []).length, 20, 'the suite\'s ten subtests ran for each backend');
    t.notMatch(r.output, /^\s*not ok /m, 'no subtest failed');
    t.same(kernelProblems(await vm.dmesg()), [], 'the kernel log is clean');
  });
}
