import { pathToFileURL } from 'node:url';
import type { BenchEntry } from './bench-entry.js';

/**
 * Runs a bench module's `run()` when the module is the program itself (its own npm script),
 * not when the runner imports it. On its own, a missed target is a failing exit code.
 */
export async function runWhenMain(moduleUrl: string, run: () => Promise<BenchEntry[]>): Promise<void> {
  const main = process.argv[1];
  if (main === undefined || pathToFileURL(main).href !== moduleUrl) return;
  const entries = await run();
  if (entries.some((e) => e.met === false)) process.exitCode = 1;
}
