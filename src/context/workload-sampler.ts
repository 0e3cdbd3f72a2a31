import { join } from 'node:path';
import { systemClock, type Clock } from '../common/clock.js';
import { CounterDeltas } from './proc-counters.js';
import { ascii, ProcReader } from './proc-reader.js';

export interface WorkloadFeatures {
  readonly timeMs: number;
  /**
   * Where pressure came from: Linux PSI, or the load-average/meminfo fallback where PSI is absent.
   * 'fallback' as soon as any of the three pressure files could not be read.
   */
  readonly source: 'psi' | 'fallback';
  /**
   * 0–100: share of time some task stalled on CPU / memory / IO over the last ~10 s (PSI "some avg10").
   * Fallback: cpu = 100 × min(1, loadavg1 / online CPUs); memory = 100 × (1 − MemAvailable / MemTotal); io = null.
   */
  readonly cpuPressure: number;
  readonly memoryPressure: number;
  readonly ioPressure: number | null;
  /**
   * Rates over the interval since the previous sample that could read the file: null on the first
   * sample, when no time has passed, and when the file is absent (containers may lack it).
   * Mean sizes are 0 when there was no request or packet.
   */
  readonly disk: { readBytesPerS: number; writeBytesPerS: number; requestsPerS: number; meanRequestBytes: number } | null;
  readonly net: { rxBytesPerS: number; txBytesPerS: number; packetsPerS: number; meanPacketBytes: number } | null;
}

export interface WorkloadSamplerOptions {
  /**
   * Default '/proc'. Files under it found absent (ENOENT) or disabled (EOPNOTSUPP) are not read
   * again by this sampler: they stay so until reboot.
   */
  procRoot?: string;
  /** Default: the process's monotonic clock. */
  clock?: Clock;
  /** Which block devices count, asked once per name. Default: isWholeDisk. */
  diskFilter?: (name: string) => boolean;
  /** Which network interfaces count, asked once per name. Default: all but lo. */
  netFilter?: (name: string) => boolean;
  /**
   * CPUs the load average is divided by in the CPU fallback, asked at each such sample.
   * Default: the cpuN lines of <procRoot>/stat, i.e. the online CPUs of the whole system, which is
   * what the load average counts tasks of (os.availableParallelism() would be this process's share).
   */
  onlineCpus?: () => number;
}

/**
 * Devices whose traffic is not a disk's own: loop files, RAM disks, compressed RAM (zram), and
 * device-mapper and md volumes, whose I/O the disks beneath them count again.
 */
const NOT_A_DISK = /^(?:loop|ram|zram|dm-|md)/;
/** Partitions, counted again in their disk: sda1, vdb2, xvda1, hdc3, and nvme0n1p1, mmcblk0p2, nbd0p1. */
const PARTITION = /^(?:[hsv]d|xvd)[a-z]+\d+$|\dp\d+$/;

/** The default disk filter: whole disks only, no partitions and no virtual devices. */
export function isWholeDisk(name: string): boolean {
  return !NOT_A_DISK.test(name) && !PARTITION.test(name);
}

function isNotLoopback(name: string): boolean {
  return name !== 'lo';
}

/** Iostats.rst: sectors in /proc/diskstats are 512 bytes whatever the device's own sector size. */
const SECTOR_BYTES = 512;
/** Sources that may be missing or closed to us (containers): no data rather than an error. */
const UNAVAILABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM']);
/**
 * Errors that stay until reboot: /proc has the file or not from boot on, and PSI disabled at boot
 * (EOPNOTSUPP) stays disabled. Each failed open costs an Error with a stack, so such a file is not
 * asked for again; other errors (ENOMEM under the very pressure we measure…) are retried each sample.
 */
const PERMANENT = new Set(['ENOENT', 'ENOTDIR', 'EOPNOTSUPP']);

const SOME = ascii('some ');
const AVG10 = ascii('avg10=');
const AVG60 = ascii('avg60=');
const AVG300 = ascii('avg300=');
const TOTAL = ascii('total=');
const MEM_TOTAL = ascii('MemTotal:');
const MEM_AVAILABLE = ascii('MemAvailable:');
const CPU = ascii('cpu');
const COLON = 0x3a;
/** /proc/net/dev columns between the ones used, read only to catch a truncated line. */
const RX_OTHER = ['receive errs', 'receive drop', 'receive fifo', 'receive frame', 'receive compressed', 'receive multicast'];
const TX_OTHER = ['transmit errs', 'transmit drop', 'transmit fifo', 'transmit colls', 'transmit carrier', 'transmit compressed'];

/**
 * Samples system workload from /proc in O(1) memory: each sample() reads a handful of small files
 * synchronously into one reused buffer and keeps only the previous totals of each disk and interface.
 */
export class WorkloadSampler {
  private readonly clock: Clock;
  private readonly onlineCpus: () => number;
  private readonly reader = new ProcReader();
  /** Optional files that failed with a PERMANENT error. */
  private readonly gone = new Set<string>();
  private readonly disks: CounterDeltas;
  private readonly nets: CounterDeltas;
  private readonly cpuPressurePath: string;
  private readonly memoryPressurePath: string;
  private readonly ioPressurePath: string;
  private readonly loadavgPath: string;
  private readonly meminfoPath: string;
  private readonly statPath: string;
  private readonly diskstatsPath: string;
  private readonly netDevPath: string;

  constructor(options: WorkloadSamplerOptions = {}) {
    const root = options.procRoot ?? '/proc';
    this.clock = options.clock ?? systemClock;
    this.onlineCpus = options.onlineCpus ?? (() => this.countCpus());
    this.disks = new CounterDeltas(options.diskFilter ?? isWholeDisk);
    this.nets = new CounterDeltas(options.netFilter ?? isNotLoopback);
    this.cpuPressurePath = join(root, 'pressure', 'cpu');
    this.memoryPressurePath = join(root, 'pressure', 'memory');
    this.ioPressurePath = join(root, 'pressure', 'io');
    this.loadavgPath = join(root, 'loadavg');
    this.meminfoPath = join(root, 'meminfo');
    this.statPath = join(root, 'stat');
    this.diskstatsPath = join(root, 'diskstats');
    this.netDevPath = join(root, 'net', 'dev');
  }

  sample(): WorkloadFeatures {
    const timeMs = this.clock.now();
    const cpu = this.stallPercent(this.cpuPressurePath);
    const memory = this.stallPercent(this.memoryPressurePath);
    const io = this.stallPercent(this.ioPressurePath);
    return {
      timeMs,
      source: cpu === undefined || memory === undefined || io === undefined ? 'fallback' : 'psi',
      cpuPressure: cpu ?? this.loadPercent(),
      memoryPressure: memory ?? this.memoryUsedPercent(),
      ioPressure: io ?? null,
      disk: this.diskRates(timeMs),
      net: this.netRates(timeMs),
    };
  }

  /** "some avg10" of a PSI file, or undefined when the file cannot be read (absent, or EOPNOTSUPP when PSI is disabled). */
  private stallPercent(path: string): number | undefined {
    const r = this.reader;
    if (!this.loadOptional(path, true)) return undefined;
    while (r.nextLine()) {
      if (!r.accept(SOME)) continue;
      // The kernel's fixed layout; reading every field catches a truncated line.
      r.expect(AVG10, "'avg10='");
      const avg10 = r.decimal('avg10');
      r.expect(AVG60, "'avg60='");
      r.decimal('avg60');
      r.expect(AVG300, "'avg300='");
      r.decimal('avg300');
      r.expect(TOTAL, "'total='");
      r.unsigned('total');
      if (avg10 > 100) r.fail(`avg10: ${avg10} exceeds 100 %`);
      return avg10;
    }
    return r.failFile("no 'some' line");
  }

  private loadPercent(): number {
    const r = this.reader;
    this.loadRequired(this.loadavgPath);
    if (!r.nextLine()) r.failFile('empty');
    const load1 = r.decimal('1-minute load average');
    r.decimal('5-minute load average');
    r.decimal('15-minute load average');
    const cpus = this.onlineCpus();
    if (!Number.isInteger(cpus) || cpus < 1) throw new Error(`onlineCpus() returned ${cpus}, not a positive integer`);
    return 100 * Math.min(1, load1 / cpus);
  }

  private memoryUsedPercent(): number {
    const r = this.reader;
    this.loadRequired(this.meminfoPath);
    let total: number | undefined;
    let available: number | undefined;
    while ((total === undefined || available === undefined) && r.nextLine()) {
      if (r.accept(MEM_TOTAL)) total = r.unsigned('MemTotal');
      else if (r.accept(MEM_AVAILABLE)) available = r.unsigned('MemAvailable');
    }
    // MemAvailable appeared in Linux 3.14; without it there is no fair estimate of free memory.
    if (total === undefined) return r.failFile('no MemTotal line');
    if (available === undefined) return r.failFile('no MemAvailable line');
    if (total === 0) return r.failFile('MemTotal is 0');
    if (available > total) return r.failFile(`MemAvailable ${available} exceeds MemTotal ${total}`);
    return 100 * (1 - available / total);
  }

  /** Online CPUs: the cpuN lines at the top of /proc/stat (the first, "cpu ", is their sum). */
  private countCpus(): number {
    const r = this.reader;
    this.loadRequired(this.statPath);
    let count = 0;
    while (r.nextLine() && r.accept(CPU)) if (r.atDigit()) count++;
    return count > 0 ? count : r.failFile('no cpuN lines');
  }

  /** Sums over the counted disks of /proc/diskstats (fields per Documentation/admin-guide/iostats.rst). */
  private diskRates(timeMs: number): WorkloadFeatures['disk'] {
    const r = this.reader;
    if (!this.loadOptional(this.diskstatsPath)) return null;
    const d = this.disks;
    d.begin(timeMs);
    while (r.nextLine()) {
      r.unsigned('major');
      r.unsigned('minor');
      const name = r.word('device name');
      // Field names as in iostats.rst; the line number in an error tells which device.
      const reads = r.unsigned('reads completed');
      r.unsigned('reads merged');
      const sectorsRead = r.unsigned('sectors read');
      r.unsigned('time reading');
      const writes = r.unsigned('writes completed');
      r.unsigned('writes merged');
      const sectorsWritten = r.unsigned('sectors written');
      // Fields 8–11 exist on every kernel since 2.6.25; reading them catches a truncated line.
      r.unsigned('time writing');
      r.unsigned('I/Os currently in progress');
      r.unsigned('time doing I/Os');
      r.unsigned('weighted time doing I/Os');
      d.add(name, sectorsRead, sectorsWritten, reads, writes);
    }
    d.end();
    if (d.seconds <= 0) return null;
    const requests = d.c + d.d;
    const bytes = (d.a + d.b) * SECTOR_BYTES;
    return {
      readBytesPerS: (d.a * SECTOR_BYTES) / d.seconds,
      writeBytesPerS: (d.b * SECTOR_BYTES) / d.seconds,
      requestsPerS: requests / d.seconds,
      meanRequestBytes: requests > 0 ? bytes / requests : 0,
    };
  }

  /** Sums over the counted interfaces of /proc/net/dev. */
  private netRates(timeMs: number): WorkloadFeatures['net'] {
    const r = this.reader;
    if (!this.loadOptional(this.netDevPath)) return null;
    // Two header lines name the columns; their layout has not changed since Linux 2.2.
    if (!r.nextLine() || !r.nextLine()) r.failFile('truncated header');
    const n = this.nets;
    n.begin(timeMs);
    while (r.nextLine()) {
      const name = r.word('interface name', COLON);
      const rxBytes = r.unsigned('receive bytes');
      const rxPackets = r.unsigned('receive packets');
      for (const field of RX_OTHER) r.unsigned(field);
      const txBytes = r.unsigned('transmit bytes');
      const txPackets = r.unsigned('transmit packets');
      for (const field of TX_OTHER) r.unsigned(field);
      n.add(name, rxBytes, txBytes, rxPackets, txPackets);
    }
    n.end();
    if (n.seconds <= 0) return null;
    const packets = n.c + n.d;
    return {
      rxBytesPerS: n.a / n.seconds,
      txBytesPerS: n.b / n.seconds,
      packetsPerS: packets / n.seconds,
      meanPacketBytes: packets > 0 ? (n.a + n.b) / packets : 0,
    };
  }

  private loadRequired(path: string): void {
    const error = this.reader.load(path);
    if (error !== undefined) throw new Error(`${path}: cannot read (${error.code})`, { cause: error });
  }

  /** False when the file is absent or closed to us, or also on any read error when `anyError`; other read errors throw. */
  private loadOptional(path: string, anyError = false): boolean {
    if (this.gone.has(path)) return false;
    const error = this.reader.load(path);
    if (error === undefined) return true;
    const code = error.code ?? '';
    if (PERMANENT.has(code)) this.gone.add(path);
    if (anyError || UNAVAILABLE.has(code)) return false;
    throw new Error(`${path}: cannot read (${code})`, { cause: error });
  }
}
