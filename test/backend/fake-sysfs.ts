/**
 * A sysfs tree in a temporary folder for SysfsBackend's host tests: files behave as the
 * kernel's do where it matters (a choice file keeps its list and brackets what was written, and
 * refuses other words), and writes can be made to fail or be logged.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SysfsFiles } from '../../src/backend/sysfs-backend.js';

export class FakeSysfs implements SysfsFiles {
  readonly root = mkdtempSync(join(tmpdir(), 'persona-sysfs-'));
  /** Every write, as "<path relative to root>=<text>". */
  readonly writes: string[] = [];
  /** Decides whether a write fails: return an error to throw it. */
  failWhen: (path: string, text: string, nth: number) => Error | undefined = () => undefined;
  private count = 0;

  /** Creates the file `path` (absolute, as in a mapping) holding `text`. */
  file(path: string, text: string): void {
    const at = join(this.root, path);
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, text);
  }

  /** Makes the nth write from now fail with EIO, once. */
  failNthWrite(nth: number): void {
    this.count = 0;
    this.failWhen = (_path, _text, n) => {
      if (n !== nth) return undefined;
      this.failWhen = () => undefined;
      return Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    };
  }

  read(path: string): string {
    return readFileSync(path, 'utf8');
  }

  write(path: string, text: string): void {
    this.writes.push(`${path.slice(this.root.length)}=${text}`);
    const failure = this.failWhen(path, text, ++this.count);
    if (failure) throw failure;
    const current = readFileSync(path, 'utf8');
    if (!current.includes('[')) {
      writeFileSync(path, `${text}\n`);
      return;
    }
    const choices = current.trim().split(/\s+/).map((c) => c.replace(/[[\]]/g, ''));
    if (!choices.includes(text)) throw Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
    writeFileSync(path, `${choices.map((c) => (c === text ? `[${c}]` : c)).join(' ')}\n`);
  }

  /** Writes `text` as another tool would, unseen by the log and the fault injection. */
  writeBehind(path: string, text: string): void {
    writeFileSync(join(this.root, path), `${text}\n`);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Two loop devices as a 6.1 kernel shows their queues. */
export function loopTree(sysfs: FakeSysfs): void {
  for (const loop of ['loop0', 'loop1']) {
    sysfs.file(`/sys/block/${loop}/queue/read_ahead_kb`, '128\n');
    sysfs.file(`/sys/block/${loop}/queue/nomerges`, '0\n');
    sysfs.file(`/sys/block/${loop}/queue/scheduler`, '[mq-deadline] none\n');
  }
}
