import * as fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { isWholeDisk, WorkloadSampler, type WorkloadSamplerOptions } from '../../src/context/workload-sampler.js';
import { packageRoot } from '../../src/common/package-root.js';

const FIXTURES = join(packageRoot(), 'test/context/fixtures');

/**
 * A /proc tree in a fresh test directory: `proc-psi` is a whole tree at time 0; `proc-psi-1s`
 * (counters 1 s later) and `proc-reset` (1 s later, with a device re-added and a counter
 * wrapped) hold only diskstats and net/dev, to be copied over it for the second sample.
 */
function procTree(t: Test, fixture: string): string {
  const root = t.testdir();
  fs.cpSync(join(FIXTURES, fixture), root, { recursive: true });
  return root;
}

function overlay(root: string, fixture: string): void {
  fs.cpSync(join(FIXTURES, fixture), root, { recursive: true });
}

function sampler(root: string, clock: SimulatedClock, options: WorkloadSamplerOptions = {}): WorkloadSampler {
  return new WorkloadSampler({ procRoot: root, clock, ...options });
}

void t.test('PSI "some avg10" values are read exactly; the first sample has no rates', async (t) => {
  const clock = new SimulatedClock(5000);
  const features = sampler(procTree(t, 'proc-psi'), clock).sample();
  t.same(features, { timeMs: 5000, source: 'psi', cpuPressure: 12.34, memoryPressure: 0.57, ioPressure: 3.08, disk: null, net: null });
});

void t.test('without PSI, pressure comes from loadavg, meminfo and the cpuN lines of stat', async (t) => {
  const root = procTree(t, 'proc-nopsi');
  const features = sampler(root, new SimulatedClock()).sample();
  // loadavg 1.50 over 4 CPUs; MemAvailable 3000000 of MemTotal 4000000 kB.
  t.same(features, { timeMs: 0, source: 'fallback', cpuPressure: 37.5, memoryPressure: 25, ioPressure: null, disk: null, net: null });
  t.equal(sampler(root, new SimulatedClock(), { onlineCpus: () => 1 }).sample().cpuPressure, 100, 'a load above the CPU count is 100 %');
  t.equal(sampler(root, new SimulatedClock(), { onlineCpus: () => 2 }).sample().cpuPressure, 75);
});

void t.test('fallback is per pressure file', async (t) => {
  const root = procTree(t, 'proc-psi');
  fs.rmSync(join(root, 'pressure', 'memory'));
  const features = sampler(root, new SimulatedClock()).sample();
  t.equal(features.source, 'fallback');
  t.equal(features.cpuPressure, 12.34, 'cpu still from PSI');
  t.equal(features.memoryPressure, 25, 'memory from meminfo');
  t.equal(features.ioPressure, 3.08);
});

void t.test('an absent PSI file is not asked for again; one that failed otherwise is', async (t) => {
  const root = procTree(t, 'proc-psi');
  fs.rmSync(join(root, 'pressure', 'memory'));
  fs.rmSync(join(root, 'pressure', 'io'));
  fs.mkdirSync(join(root, 'pressure', 'io'));
  const s = sampler(root, new SimulatedClock());
  t.match(s.sample(), { source: 'fallback', memoryPressure: 25, ioPressure: null }, 'absent, and unreadable (EISDIR)');
  fs.rmSync(join(root, 'pressure', 'io'), { recursive: true });
  overlay(root, 'proc-psi');
  t.match(s.sample(), { source: 'fallback', memoryPressure: 25, ioPressure: 3.08 });
});

void t.test('PSI files that fail with EOPNOTSUPP (PSI built in but disabled) fall back', async (t) => {
  const pressureFds = new Set<number>();
  let pressureOpens = 0;
  const fsMock = t.createMock(fs, {
    openSync: (path: string, flags: string): number => {
      const fd = fs.openSync(path, flags);
      if (path.includes('/pressure/')) {
        pressureFds.add(fd);
        pressureOpens++;
      }
      return fd;
    },
    readSync: (fd: number, buffer: Buffer, offset: number, length: number, position: null): number => {
      if (pressureFds.has(fd)) throw Object.assign(new Error('EOPNOTSUPP: operation not supported on socket, read'), { code: 'EOPNOTSUPP' });
      return fs.readSync(fd, buffer, offset, length, position);
    },
    closeSync: (fd: number): void => {
      pressureFds.delete(fd);
      fs.closeSync(fd);
    },
  });
  // The mock reaches proc-reader only when it is handed over explicitly.
  const reader = await t.mockImport<typeof import('../../src/context/proc-reader.js')>('../../src/context/proc-reader.js', { 'node:fs': fsMock });
  const { WorkloadSampler: MockedSampler } = await t.mockImport<typeof import('../../src/context/workload-sampler.js')>(
    '../../src/context/workload-sampler.js',
    { '../../src/context/proc-reader.js': reader },
  );
  const s = new MockedSampler({ procRoot: procTree(t, 'proc-psi'), clock: new SimulatedClock() });
  t.match(s.sample(), { source: 'fallback', cpuPressure: 37.5, memoryPressure: 25, ioPressure: null });
  t.match(s.sample(), { source: 'fallback', cpuPressure: 37.5, memoryPressure: 25, ioPressure: null });
  t.equal(pressureOpens, 3, 'PSI disabled at boot stays so: not asked again');
});

void t.test('disk and net rates from two samples 1000 ms apart', async (t) => {
  const clock = new SimulatedClock(10_000);
  const root = procTree(t, 'proc-psi');
  const s = sampler(root, clock);
  t.equal(s.sample().disk, null);
  overlay(root, 'proc-psi-1s');
  await clock.sleepUntil(11_000);
  const features = s.sample();
  // Counted: sda, nvme0n1, mmcblk0, mmcblk0boot0 (idle). Their partitions repeat the same I/O,
  // and loop0, ram0, dm-0, zram0 move too: counting any of them would change these sums.
  t.same(features.disk, {
    readBytesPerS: (2048 + 1024) * 512,
    writeBytesPerS: (4096 + 512 + 64) * 512,
    requestsPerS: 10 + 22 + 8 + 16 + 8,
    meanRequestBytes: 61_952,
  });
  t.equal(features.disk?.readBytesPerS, 1_572_864);
  // eth0, wlan0, can0; lo moved 900 kB and is left out.
  t.same(features.net, { rxBytesPerS: 175_600, txBytesPerS: 54_400, packetsPerS: 460, meanPacketBytes: 500 });
});

void t.test('rates are per second of the interval, and filters choose the devices', async (t) => {
  const clock = new SimulatedClock();
  const root = procTree(t, 'proc-psi');
  const s = sampler(root, clock, { diskFilter: (name) => name === 'sda', netFilter: (name) => name === 'can0' });
  s.sample();
  overlay(root, 'proc-psi-1s');
  await clock.sleepUntil(2000);
  const features = s.sample();
  t.same(features.disk, { readBytesPerS: 1_048_576 / 2, writeBytesPerS: 2_097_152 / 2, requestsPerS: 16, meanRequestBytes: 98_304 });
  t.same(features.net, { rxBytesPerS: 800, txBytesPerS: 80, packetsPerS: 110, meanPacketBytes: 8 });
});

void t.test('a counter that resets or wraps gives no data for that device, never a negative rate', async (t) => {
  const clock = new SimulatedClock();
  const root = procTree(t, 'proc-psi');
  const s = sampler(root, clock);
  s.sample();
  overlay(root, 'proc-reset');
  await clock.sleepUntil(1000);
  const features = s.sample();
  // sda was removed and added again and sdb appeared: only nvme0n1 and mmcblk0 have an interval.
  t.same(features.disk, { readBytesPerS: 1024 * 512, writeBytesPerS: (512 + 64) * 512, requestsPerS: 32, meanRequestBytes: 25_600 });
  // eth0's receive-byte counter wrapped at 2^32: wlan0 and can0 only.
  t.same(features.net, { rxBytesPerS: 21_600, txBytesPerS: 4_400, packetsPerS: 260, meanPacketBytes: 100 });
  await clock.sleepUntil(2000);
  t.same(s.sample().disk, { readBytesPerS: 0, writeBytesPerS: 0, requestsPerS: 0, meanRequestBytes: 0 }, 'the new totals are the next baseline');
});

void t.test('a device missing from one sample has no rate for the interval after it', async (t) => {
  const clock = new SimulatedClock();
  const root = procTree(t, 'proc-psi');
  const s = sampler(root, clock, { diskFilter: (name) => name === 'sda' || name === 'nvme0n1' });
  s.sample();
  const diskstats = fs.readFileSync(join(root, 'diskstats'), 'latin1');
  fs.writeFileSync(join(root, 'diskstats'), diskstats.replace(/^ +8 +0 sda .*\n/m, ''));
  await clock.sleepUntil(1000);
  t.same(s.sample().disk, { readBytesPerS: 0, writeBytesPerS: 0, requestsPerS: 0, meanRequestBytes: 0 });
  overlay(root, 'proc-psi-1s');
  await clock.sleepUntil(2000);
  // Its totals may have restarted while it was gone: sda waits for a second sample, nvme0n1 counts.
  t.same(s.sample().disk, { readBytesPerS: 1024 * 512, writeBytesPerS: 512 * 512, requestsPerS: 24, meanRequestBytes: 1536 * 512 / 24 });
});

void t.test('files bigger than the reader\'s first buffer are read whole', async (t) => {
  const clock = new SimulatedClock();
  const root = procTree(t, 'proc-psi');
  const header = 'Inter-|   Receive\n face |bytes\n';
  const lines = (bytes: number): string => {
    let text = '';
    for (let i = 0; i < 500; i++) text += `vlan${i}: ${bytes} 1 0 0 0 0 0 0 ${bytes} 1 0 0 0 0 0 0\n`;
    return text;
  };
  fs.writeFileSync(join(root, 'net', 'dev'), header + lines(1000));
  const s = sampler(root, clock);
  s.sample();
  fs.writeFileSync(join(root, 'net', 'dev'), header + lines(1010));
  await clock.sleepUntil(1000);
  t.same(s.sample().net, { rxBytesPerS: 5000, txBytesPerS: 5000, packetsPerS: 0, meanPacketBytes: 0 });
});

void t.test('no time passed: no rates rather than a division by zero', async (t) => {
  const s = sampler(procTree(t, 'proc-psi'), new SimulatedClock(7));
  s.sample();
  t.match(s.sample(), { disk: null, net: null });
});

void t.test('containers without diskstats or net/dev: disk and net stay null, no error', async (t) => {
  const clock = new SimulatedClock();
  const s = sampler(procTree(t, 'proc-nopsi'), clock);
  s.sample();
  await clock.sleepUntil(1000);
  t.match(s.sample(), { disk: null, net: null });
});

void t.test('whole disks only by default', async (t) => {
  for (const name of ['sda', 'sdab', 'vda', 'xvdb', 'hda', 'nvme0n1', 'nvme1n2', 'mmcblk0', 'mmcblk0boot0', 'sr0']) t.ok(isWholeDisk(name), name);
  for (const name of ['sda1', 'sdab12', 'vda3', 'xvdb1', 'nvme0n1p1', 'mmcblk0p2', 'nbd0p1', 'loop0', 'ram1', 'zram0', 'dm-3', 'md127']) {
    t.notOk(isWholeDisk(name), name);
  }
});

void t.test('malformed or truncated files throw an Error naming the file and the line', async (t) => {
  const cases: Array<[file: string, content: string, message: RegExp]> = [
    ['pressure/cpu', 'some avg10=abc avg60=0.00 avg300=0.00 total=0\n', /pressure\/cpu:1: avg10: expected a decimal number, found 'abc'$/],
    ['pressure/io', 'full avg10=0.00 avg60=0.00 avg300=0.00 total=0\nsome avg10=1.00 avg60=0.5', /pressure\/io:2: expected 'avg300=', found end of line$/],
    ['pressure/memory', 'some avg10=101.00 avg60=0.00 avg300=0.00 total=0\n', /pressure\/memory:1: avg10: 101 exceeds 100 %$/],
    ['pressure/memory', '', /pressure\/memory: no 'some' line$/],
    ['diskstats', '   8       0 sda 1 0 8 0 1 0 8 0 0 0 0\n   8       1 sda1 40110 1200 32901', /diskstats:2: time reading: expected an unsigned integer, found end of line$/],
    ['diskstats', '   8       0 sda 1 0 -8 0 1 0 8 0 0 0 0\n', /diskstats:1: sectors read: expected an unsigned integer, found '-8'$/],
    ['net/dev', 'Inter-|   Receive\n face |bytes\n  eth0 1 2 3\n', /net\/dev:3: expected ':' after interface name 'eth0'$/],
    ['net/dev', 'Inter-|   Receive\n', /net\/dev: truncated header$/],
    ['net/dev', 'Inter-|\n face |\n  eth0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0\n', /net\/dev:3: transmit compressed: expected an unsigned integer, found end of line$/],
  ];
  for (const [file, content, message] of cases) {
    const root = procTree(t, 'proc-psi');
    fs.writeFileSync(join(root, file), content);
    t.throws(() => sampler(root, new SimulatedClock()).sample(), { message }, `${file}: ${JSON.stringify(content)}`);
  }
  const root = procTree(t, 'proc-nopsi');
  fs.writeFileSync(join(root, 'meminfo'), 'MemTotal:        4000000 kB\nMemFree:          812344 kB\n');
  t.throws(() => sampler(root, new SimulatedClock()).sample(), { message: /meminfo: no MemAvailable line$/ });
  fs.writeFileSync(join(root, 'meminfo'), 'MemTotal:        4000000 kB\nMemAvailable:    3x kB\n');
  t.throws(() => sampler(root, new SimulatedClock()).sample(), { message: /meminfo:2: MemAvailable: expected an unsigned integer, found '3x'$/ });
  fs.writeFileSync(join(root, 'meminfo'), 'MemTotal:        4000000 kB\nMemAvailable:    4000001 kB\n');
  t.throws(() => sampler(root, new SimulatedClock()).sample(), { message: /meminfo: MemAvailable 4000001 exceeds MemTotal 4000000$/ });
  fs.writeFileSync(join(root, 'meminfo'), 'MemFree:          812344 kB\n');
  t.throws(() => sampler(root, new SimulatedClock()).sample(), { message: /meminfo: no MemTotal line$/ });
  fs.writeFileSync(join(root, 'stat'), 'cpu  1021340 2210 302211 8812340 10233 0 5521 0 0 0\nintr 51220334 0 9\n');
  t.throws(() => sampler(root, new SimulatedClock()).sample(), { message: /stat: no cpuN lines$/ });
  t.throws(() => sampler(root, new SimulatedClock(), { onlineCpus: () => 0 }).sample(), { message: 'onlineCpus() returned 0, not a positive integer' });
  fs.writeFileSync(join(root, 'loadavg'), '');
  t.throws(() => sampler(root, new SimulatedClock()).sample(), { message: /loadavg: empty$/ });
  fs.rmSync(join(root, 'loadavg'));
  t.throws(() => sampler(root, new SimulatedClock()).sample(), { message: /loadavg: cannot read \(ENOENT\)$/ });
  const unreadable = procTree(t, 'proc-psi');
  fs.rmSync(join(unreadable, 'diskstats'));
  fs.mkdirSync(join(unreadable, 'diskstats'));
  t.throws(() => sampler(unreadable, new SimulatedClock()).sample(), { message: /diskstats: cannot read \(EISDIR\)$/ }, 'unreadable for a reason other than absence');
});

void t.test('the real /proc of this machine gives finite numbers in range', { skip: !fs.existsSync('/proc/loadavg') && 'no /proc' }, async (t) => {
  const s = new WorkloadSampler();
  const first = s.sample();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = s.sample();
  t.equal(first.disk, null);
  t.ok(second.timeMs > first.timeMs);
  for (const value of [second.cpuPressure, second.memoryPressure, second.ioPressure ?? 0]) t.ok(value >= 0 && value <= 100, `pressure ${value}`);
  if (second.source === 'psi') t.not(second.ioPressure, null);
  for (const rates of [second.disk, second.net]) {
    if (rates === null) continue;
    for (const [key, value] of Object.entries(rates)) t.ok(Number.isFinite(value) && value >= 0, `${key} ${value}`);
  }
});
