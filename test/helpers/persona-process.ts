import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Test } from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';

/** The compiled CLI, as `npm start` and the `persona` bin run it (built by `npm test`'s pretest). */
export const CLI = join(packageRoot(), 'dist/src/cli/main.js');

export interface PersonaProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first stdout line matching, already printed or future. */
  waitForLine(pattern: RegExp): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the CLI in `t`'s test folder; the process is killed at the end of the test if still running. */
export function spawnPersona(t: Test, args: string[], files: Record<string, string> = {}, stdin?: Readable): PersonaProcess & { cwd: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const cwd = t.testdir(files);
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  if (stdin && child.stdin) stdin.pipe(child.stdin);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const collect = (into: string[], notify: boolean) => {
    let rest = '';
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        into.push(line);
        if (notify) waiters = waiters.filter((w) => (w.pattern.test(line) ? (w.resolve(line), false) : true));
      }
    };
  };
  child.stdout?.on('data', collect(stdout, true));
  child.stderr?.on('data', collect(stderr, false));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    cwd,
    child,
    stdout,
    stderr,
    exited,
    waitForLine: (pattern) => {
      const seen = stdout.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} on stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`)), 20_000);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
  };
}
