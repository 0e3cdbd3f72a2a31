import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Hypervisor = 'kvm-qemu' | 'xen' | 'acrn' | 'vmware' | 'hyper-v' | 'virtualbox' | 'unknown-hypervisor';

/** What this instance of persona runs on: bare metal or a guest, and the limits it was given. */
export interface InstanceFacts {
  virtualised: boolean;
  /** Who, when virtualised; `unknown-hypervisor` when the CPU says so but nothing names it. */
  hypervisor: Hypervisor | null;
  /** How it was told: `cpuinfo`, `dmi`, `sys-hypervisor`. */
  evidence: string[];
  vcpus: number;
  memoryMb: number;
  /** The cgroup's limits, null when unlimited or not readable. */
  cgroup: { cpus: number | null; memoryMb: number | null };
}

/** DMI vendor and product strings of the hypervisors a vehicle computer meets, lower-cased. */
const DMI_NAMES: ReadonlyArray<[RegExp, Hypervisor]> = [
  [/\b(qemu|kvm)\b/, 'kvm-qemu'],
  [/\bxen\b/, 'xen'],
  [/\bacrn\b/, 'acrn'],
  [/\bvmware\b/, 'vmware'],
  [/\bmicrosoft corporation\b|\bvirtual machine\b/, 'hyper-v'],
  [/\binnotek\b|\bvirtualbox\b/, 'virtualbox'],
];

/**
 * Reads the instance's facts from /proc and /sys (under `root`, for tests): the CPUID
 * hypervisor flag as /proc/cpuinfo shows it, /sys/hypervisor/type (Xen), the DMI vendor
 * strings, and the CPU and memory limits of its own cgroup (v2, else v1).
 */
export function probeInstance(root = '/'): InstanceFacts {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(join(root, path), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const evidence: string[] = [];
  const cpuinfo = read('proc/cpuinfo') ?? '';
  const flagged = /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo);
  if (flagged) evidence.push('cpuinfo');
  let hypervisor: Hypervisor | null = null;
  if (read('sys/hypervisor/type') === 'xen') {
    hypervisor = 'xen';
    evidence.push('sys-hypervisor');
  }
  const dmi = ['sys_vendor', 'product_name', 'bios_vendor'].map((f) => read(`sys/class/dmi/id/${f}`) ?? '').join(' ').toLowerCase();
  const named = DMI_NAMES.find(([pattern]) => pattern.test(dmi))?.[1];
  if (named && hypervisor === null) {
    hypervisor = named;
    evidence.push('dmi');
  }
  if (hypervisor === null && flagged) hypervisor = 'unknown-hypervisor';
  const vcpus = (cpuinfo.match(/^processor\s*:/gm) ?? []).length || 1;
  const memTotalKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(read('proc/meminfo') ?? '')?.[1] ?? 0);
  return { virtualised: hypervisor !== null, hypervisor, evidence, vcpus, memoryMb: Math.round(memTotalKb / 1024), cgroup: cgroupLimits(read) };
}

/** The limits of this process's cgroup: cpu.max / memory.max (v2), else the v1 controllers. */
function cgroupLimits(read: (path: string) => string | undefined): InstanceFacts['cgroup'] {
  const lines = (read('proc/self/cgroup') ?? '').split('\n');
  const v2 = lines.find((l) => l.startsWith('0::'))?.slice(3);
  const pathOf = (controller: string): string | undefined => lines.find((l) => l.split(':')[1]?.split(',').includes(controller))?.split(':')[2];
  const bytesToMb = (text: string | undefined): number | null => (text === undefined || text === 'max' || !/^\d+$/.test(text) || Number(text) >= 2 ** 62 ? null : Math.round(Number(text) / 2 ** 20));
  const quota = (q: number, period: number): number | null => (q > 0 && period > 0 ? Math.round((q / period) * 100) / 100 : null);
  if (v2 !== undefined) {
    const cpuMax = read(join('sys/fs/cgroup', v2, 'cpu.max'))?.split(' ');
    const memory = bytesToMb(read(join('sys/fs/cgroup', v2, 'memory.max')));
    const cpus = cpuMax && cpuMax[0] !== 'max' ? quota(Number(cpuMax[0]), Number(cpuMax[1])) : null;
    if (cpuMax !== undefined || memory !== null) return { cpus, memoryMb: memory };
  }
  const cpuPath = pathOf('cpu') ?? '/';
  const memPath = pathOf('memory') ?? '/';
  const q = Number(read(join('sys/fs/cgroup/cpu', cpuPath, 'cpu.cfs_quota_us')) ?? -1);
  const p = Number(read(join('sys/fs/cgroup/cpu', cpuPath, 'cpu.cfs_period_us')) ?? 0);
  return { cpus: quota(q, p), memoryMb: bytesToMb(read(join('sys/fs/cgroup/memory', memPath, 'memory.limit_in_bytes'))) };
}
