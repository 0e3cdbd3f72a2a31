/**
 * Starts QEMU and talks to the guest: requests go over the second serial port (a Unix socket on
 * this side), command text and output through the writable 9p xfer share; the console is stdio.
 */
import { packageRoot } from '../../src/common/package-root.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootOptions, RunOptions, RunResult, Vm } from './vm-harness.js';
import { QEMU_BINARY, onPath, type KernelChoice } from './vm-host.js';

const CONSOLE_TAIL_LINES = 50;
/** Linux limits one argv string (MAX_ARG_STRLEN) to 128 KiB; the command is one. */
const MAX_COMMAND_BYTES = 120 * 1024;

interface PendingRun {
  id: number;
  command: string;
  timeoutMs: number;
  started: number;
  timer: NodeJS.Timeout;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

class QemuVm implements Vm {
  kernelRelease = '';
  bootMs = 0;
  private readonly console: string[] = [];
  private consolePartial = '';
  private ctlBuffer = '';
  private ctl: Socket | undefined;
  private pending: PendingRun | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private failure: Error | undefined;
  private guestFailure: string | undefined;
  private exited = false;
  private stopping: Promise<void> | undefined;
  private readonly exitPromise: Promise<void>;
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly killOnExit = (): void => {
    this.child.kill('SIGKILL');
  };

  constructor(
    private readonly child: ChildProcess,
    private readonly server: Server,
    private readonly workDir: string,
    private readonly xferDir: string,
    private readonly onConsole: ((line: string) => void) | undefined,
  ) {
    process.once('exit', this.killOnExit);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.consoleData(d));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      for (const line of d.split('\n')) if (line.trim()) this.consoleLine(`[qemu] ${line}`);
    });
    this.exitPromise = new Promise<void>((resolve) => {
      const finished = (reason: string): void => {
        if (this.exited) return;
        this.exited = true;
        process.removeListener('exit', this.killOnExit);
        if (this.consolePartial) this.consoleLine(this.consolePartial);
        this.fail(new Error(reason));
        this.ctl?.destroy();
        this.server.close();
        rmSync(this.workDir, { recursive: true, force: true });
        resolve();
      };
      child.once('error', (err) => {
        if (child.pid === undefined) finished(`cannot start ${QEMU_BINARY}: ${err.message}`); // no 'exit' follows
      });
      child.once('exit', (code, signal) => {
        if (this.guestFailure) finished(`guest init failed: ${this.guestFailure}`);
        else if (this.console.some((l) => l.includes('Kernel panic'))) finished('kernel panic');
        else if (this.stopping && !this.failure) finished('VM was shut down');
        else finished(`QEMU ${signal ? `killed by ${signal}` : `exited with code ${code}`}${this.kernelRelease ? '' : ' before the guest was ready'}`);
      });
    });
    server.on('connection', (socket) => {
      if (this.ctl) {
        socket.destroy();
        return;
      }
      this.ctl = socket;
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => this.ctlData(d));
      socket.on('error', () => undefined); // QEMU's exit reports the failure
    });
  }

  consoleTail(lines = CONSOLE_TAIL_LINES): string {
    return this.console.slice(-lines).join('\n');
  }

  private withTail(message: string): Error {
    return new Error(`${message}\n--- last ${CONSOLE_TAIL_LINES} lines of the VM console ---\n${this.consoleTail()}`);
  }

  private consoleData(d: string): void {
    const lines = (this.consolePartial + d).split('\n');
    this.consolePartial = lines.pop() ?? '';
    for (const line of lines) this.consoleLine(line);
  }

  private consoleLine(raw: string): void {
    const line = raw.replace(/\r/g, '');
    this.console.push(line);
    if (this.console.length > 1000) this.console.splice(0, this.console.length - 1000);
    const failed = /@@VMH-FAIL (.*)/.exec(line);
    if (failed) this.guestFailure = failed[1];
    if (process.env.PERSONA_VM_DEBUG) process.stderr.write(`[vm] ${line}\n`);
    this.onConsole?.(line);
  }

  /** The VM is unusable: reject whoever waits, kill QEMU. */
  private fail(cause: Error): void {
    this.failure ??= this.withTail(cause.message);
    if (this.readyWaiter) {
      this.readyWaiter.reject(this.failure);
      this.readyWaiter = undefined;
    }
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      clearTimeout(p.timer);
      p.reject(this.withTail(`${cause.message}, while running: ${p.command}`));
    }
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private ctlData(d: string): void {
    const lines = (this.ctlBuffer + d).split('\n');
    this.ctlBuffer = lines.pop() ?? '';
    for (const line of lines) this.ctlLine(line.replace(/\r$/, ''));
  }

  private ctlLine(line: string): void {
    const ready = /^@@VMH-READY (\S+)$/.exec(line);
    if (ready) {
      this.kernelRelease = ready[1] ?? '';
      this.readyWaiter?.resolve();
      this.readyWaiter = undefined;
      return;
    }
    const end = /^@@VMH-END (\d+) (\d+) ([T-])$/.exec(line);
    const p = this.pending;
    if (end && p && Number(end[1]) === p.id) {
      this.pending = undefined;
      clearTimeout(p.timer);
      const file = join(this.xferDir, `${p.id}.out`);
      let output: string;
      try {
        output = readFileSync(file, 'utf8');
        rmSync(file, { force: true });
        rmSync(join(this.xferDir, `${p.id}.cmd`), { force: true });
      } catch (err) {
        p.reject(this.withTail(`no output file for: ${p.command} (${(err as Error).message})`));
        return;
      }
      if (end[3] === 'T') p.reject(new Error(`command timed out after ${p.timeoutMs} ms and was killed: ${p.command}\n--- output ---\n${output}`));
      else p.resolve({ exitCode: Number(end[2]), output, durationMs: Date.now() - p.started });
      return;
    }
    if (line === '@@VMH-BYE' || line === '') return;
    this.fail(new Error(`unexpected message from the guest: ${line}`));
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const timer = setTimeout(() => this.fail(new Error(`guest not ready after ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    this.bootMs = Date.now() - started;
  }

  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    const result = this.queue.then(() => this.execute(command, opts));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private execute(command: string, opts: RunOptions): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      if (this.failure || this.stopping || !this.ctl) {
        reject(this.failure ?? new Error('VM is not running'));
        return;
      }
      const timeoutMs = opts.timeoutMs ?? 60_000;
      const user = opts.user ?? '-';
      if (user !== '-' && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(user)) {
        reject(new Error(`invalid user name: ${user}`));
        return;
      }
      const text = opts.cwd === undefined ? command : `cd ${shellQuote(opts.cwd)} || exit 125\n${command}`;
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > MAX_COMMAND_BYTES) {
        reject(new Error(`command is ${bytes.length} bytes, over the ${MAX_COMMAND_BYTES}-byte limit; write a script file and run that`));
        return;
      }
      const id = this.nextId++;
      const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
      // The guest kills the command after `secs`; this timer only fires when the guest itself is stuck.
      const grace = timeoutMs + 20_000;
      const timer = setTimeout(() => this.fail(new Error(`guest did not answer within ${grace} ms`)), grace);
      writeFileSync(join(this.xferDir, `${id}.cmd`), bytes);
      this.pending = { id, command, timeoutMs, started: Date.now(), timer, resolve, reject };
      this.ctl.write(`RUN ${id} ${secs} ${user} .\n`);
    });
  }

  async dmesg(): Promise<string> {
    const r = await this.run('dmesg', { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`dmesg exited with ${r.exitCode}: ${r.output}`);
    return r.output;
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    if (this.exited) return;
    if (this.pending || !this.ctl || this.failure) this.fail(new Error('VM shut down while busy'));
    else this.ctl.write('OFF .\n');
    const timer = setTimeout(() => this.fail(new Error('guest did not power off within 15 s')), 15_000);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

/** Starts QEMU on this kernel image and initramfs; the VM is ready once waitReady() resolves. */
export async function startQemu(
  kernel: KernelChoice,
  image: string,
  initramfs: string,
  options: BootOptions,
  log: (line: string) => void,
): Promise<QemuVm> {
  const workDir = mkdtempSync(join(tmpdir(), 'persona-vm-'));
  const xferDir = join(workDir, 'xfer');
  mkdirSync(xferDir);
  const socketPath = join(workDir, 'ctl.sock');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  // Read the node binary that runs the tests in the background while the guest boots: its first
  // start inside the VM then costs ~0.5 s instead of ~2 s.
  const node = realpathSync(process.execPath);
  // A checkout under /tmp would be hidden by the guest's own /tmp: the init script binds it back.
  const project = realpathSync(packageRoot());
  const keep = project.startsWith('/tmp/') && /^[\w./-]+$/.test(project) ? [`VMH_KEEP=${project}`] : [];
  const share = options.share ? [`VMH_SHARE=${options.share.tag}`] : [];
  const cmdline = ['console=ttyS0', 'panic=-1', 'quiet', ...(/^[\w./-]+$/.test(node) ? [`VMH_PREWARM=${node}`] : []), ...keep, ...share];
  const cpus = options.cpus ?? 2;
  const memoryMb = options.memoryMb ?? 1024;
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-accel', 'tcg',
    // `max` gives the guest RDRAND, so its RNG is ready at once (node blocks on getrandom() until then).
    '-cpu', 'max',
    '-m', String(memoryMb),
    '-smp', String(cpus),
    '-kernel', image,
    '-initrd', initramfs,
    '-append', cmdline.join(' '),
    '-no-reboot',
    '-chardev', 'stdio,id=con,signal=off',
    '-serial', 'chardev:con',
    '-chardev', `socket,id=ctl,path=${socketPath}`,
    '-serial', 'chardev:ctl',
    '-nic', 'none',
    '-virtfs', 'local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${xferDir},mount_tag=xfer,security_model=none`,
    ...(options.share ? ['-virtfs', `local,path=${options.share.path},mount_tag=${options.share.tag},security_model=none,readonly=on`] : []),
  ];
  log(`booting ${kernel.release} under TCG (${cpus} CPUs, ${memoryMb} MiB${image === kernel.image ? '' : ', PVH'})…`);
  const child = spawn(onPath(QEMU_BINARY) ?? QEMU_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new QemuVm(child, server, workDir, xferDir, options.onConsole);
}
