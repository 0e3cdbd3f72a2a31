/**
 * Prints the ten slowest test files of the latest run, from what tap records of each test
 * process (`.tap/processinfo`), so that a file that got slower shows at the next run.
 * `npm test` runs it after tap, whatever tap's outcome.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProcessInfo {
  externalID?: string;
  date?: string;
  runtime?: number;
}

const SHOWN = 10;

/** A test file's latest run: how long, and when it started (ms since the epoch). */
export interface FileRun {
  file: string;
  seconds: number;
  startedMs: number;
}

/** What the test files may take on two cores with nothing else running: every developer pays it at every change. */
export const BUDGET_SECONDS = 600;

/** `npm test` runs the compiled `dist/test/….test.js`: named by its source, the one a developer opens. */
function sourceOf(root: string, file: string): string {
  const source = /^dist\/(test\/.+)\.js$/.exec(file)?.[1];
  return source !== undefined && existsSync(join(root, `${source}.ts`)) ? `${source}.ts` : file;
}

/** The latest runtime of each test file that still exists, slowest first; a compiled file counts as its source. */
export function slowestFiles(root: string): FileRun[] {
  const dir = join(root, '.tap/processinfo');
  if (!existsSync(dir)) return [];
  const latest = new Map<string, { date: string; runtime: number }>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    let info: ProcessInfo;
    try {
      info = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProcessInfo;
    } catch {
      // A record tap was writing when it stopped says nothing about the run.
      continue;
    }
    const { externalID: ran, date, runtime } = info;
    if (ran === undefined || date === undefined || typeof runtime !== 'number' || !existsSync(join(root, ran))) continue;
    const file = sourceOf(root, ran);
    const seen = latest.get(file);
    if (seen === undefined || seen.date < date) latest.set(file, { date, runtime });
  }
  return [...latest].map(([file, { date, runtime }]) => ({ file, seconds: runtime / 1000, startedMs: Date.parse(date) })).sort((a, b) => b.seconds - a.seconds);
}

/** From the first file's start to the last one's end: the suite's wall time, whatever ran in parallel. */
export function wallSeconds(runs: readonly FileRun[]): number {
  if (runs.length === 0) return 0;
  const start = Math.min(...runs.map((r) => r.startedMs));
  const end = Math.max(...runs.map((r) => r.startedMs + r.seconds * 1000));
  return (end - start) / 1000;
}

function main(): void {
  const files = slowestFiles(process.cwd());
  if (files.length === 0) return;
  const total = files.reduce((sum, f) => sum + f.seconds, 0);
  /* eslint-disable no-console -- a report on the terminal */
  const wall = wallSeconds(files);
  console.log(`the ${Math.min(SHOWN, files.length)} slowest of ${files.length} test files (${Math.round(total)} s of test processes in all):`);
  for (const { file, seconds } of files.slice(0, SHOWN)) console.log(`  ${seconds.toFixed(1).padStart(7)} s  ${file}`);
  // Not a failure: a busy machine is slower. On two quiet cores, over the budget is a regression to find.
  console.log(`the test files ran in ${Math.round(wall)} s of wall time; the budget on two quiet cores is ${BUDGET_SECONDS} s${wall > BUDGET_SECONDS ? ' (OVER: see the files above)' : ''}`);
  /* eslint-enable no-console */
}

if (process.argv[1]?.endsWith('slowest-files.js')) main();
