import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { probeInstance } from '../../src/instance/instance-probe.js';

/** A /proc and /sys of our own: path → content. */
function fakeRoot(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const CPU = (flags: string): string => [0, 1, 2, 3].map((n) => `processor\t: ${n}\nflags\t\t: fpu vme ${flags} sse2\n`).join('\n');
const MEM = 'MemTotal:        2048000 kB\nMemFree:          100000 kB\n';

void t.test('bare metal: no hypervisor flag, no hypervisor name', async (t) => {
  const facts = probeInstance(fakeRoot(t.testdir(), { 'proc/cpuinfo': CPU(''), 'proc/meminfo': MEM, 'sys/class/dmi/id/sys_vendor': 'Renesas Electronics\n' }));
  t.same(facts, { virtualised: false, hypervisor: null, evidence: [], vcpus: 4, memoryMb: 2000, cgroup: { cpus: null, memoryMb: null } });
});

void t.test('each hypervisor by its name: QEMU/KVM, ACRN, VMware, Hyper-V by DMI, Xen by /sys/hypervisor', async (t) => {
  const cases: Array<[Record<string, string>, string, string[]]> = [
    [{ 'sys/class/dmi/id/sys_vendor': 'QEMU\n', 'sys/class/dmi/id/product_name': 'Standard PC (Q35 + ICH9, 2009)\n' }, 'kvm-qemu', ['cpuinfo', 'dmi']],
    [{ 'sys/class/dmi/id/product_name': 'KVM\n' }, 'kvm-qemu', ['cpuinfo', 'dmi']],
    [{ 'sys/class/dmi/id/bios_vendor': 'ACRN\n' }, 'acrn', ['cpuinfo', 'dmi']],
    [{ 'sys/class/dmi/id/sys_vendor': 'VMware, Inc.\n' }, 'vmware', ['cpuinfo', 'dmi']],
    [{ 'sys/class/dmi/id/sys_vendor': 'Microsoft Corporation\n' }, 'hyper-v', ['cpuinfo', 'dmi']],
    [{ 'sys/hypervisor/type': 'xen\n' }, 'xen', ['cpuinfo', 'sys-hypervisor']],
    [{}, 'unknown-hypervisor', ['cpuinfo']],
  ];
  for (const [files, hypervisor, evidence] of cases) {
    const facts = probeInstance(fakeRoot(t.testdir(), { 'proc/cpuinfo': CPU('hypervisor'), 'proc/meminfo': MEM, ...files }));
    t.match(facts, { virtualised: true, hypervisor, evidence }, hypervisor);
  }
});

void t.test('cgroup limits: v2 cpu.max and memory.max, v1 CFS quota and memory limit, unlimited as null', async (t) => {
  const base = { 'proc/cpuinfo': CPU('hypervisor'), 'proc/meminfo': MEM };
  const v2 = probeInstance(fakeRoot(t.testdir(), { ...base, 'proc/self/cgroup': '0::/persona.slice\n', 'sys/fs/cgroup/persona.slice/cpu.max': '150000 100000\n', 'sys/fs/cgroup/persona.slice/memory.max': '536870912\n' }));
  t.same(v2.cgroup, { cpus: 1.5, memoryMb: 512 });
  const unlimited = probeInstance(fakeRoot(t.testdir(), { ...base, 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': 'max 100000\n', 'sys/fs/cgroup/memory.max': 'max\n' }));
  t.same(unlimited.cgroup, { cpus: null, memoryMb: null });
  const v1 = probeInstance(fakeRoot(t.testdir(), {
    ...base,
    'proc/self/cgroup': '4:memory:/ecu\n2:cpu,cpuacct:/ecu\n0::/\n',
    'sys/fs/cgroup/cpu/ecu/cpu.cfs_quota_us': '50000\n',
    'sys/fs/cgroup/cpu/ecu/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/memory/ecu/memory.limit_in_bytes': '268435456\n',
  }));
  t.same(v1.cgroup, { cpus: 0.5, memoryMb: 256 });
});
