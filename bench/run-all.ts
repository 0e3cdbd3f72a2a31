/* eslint-disable no-console -- the run's report */
/**
 * `npm run bench`: every benchmark module in order, then bench/results.json and the table in
 * docs/performance.md. A module that fails is a row saying so, and the run goes on; the exit
 * code is then 1. A missed target is not a failure: it stays in the table, marked.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import type { BenchEntry } from './bench-entry.js';
import { progress } from './bench-progress.js';
import { thisMachine } from './machine.js';
import { performanceTable, replaceTable } from './performance-table.js';

/** bench/<name>.bench.ts, each exporting `run(): Promise<BenchEntry[]>`, in the order they run (a new module is one more name). */
const MODULES = ['can-decode', 'manifest-verify', 'workload-sampler', 'pipeline-latency', 'request-host', 'namespace-adoption', 'kernel', 'cpu-share', 'can-receive', 'dashboard', 'startup', 'memory'];

export const RESULTS_FILE = 'bench/results.json';
export const PERFORMANCE_DOC = 'docs/performance.md';

const root = packageRoot();
const date = new Date().toISOString();
const machine = thisMachine();
const entries: BenchEntry[] = [];
let failed = false;
for (const [i, name] of MODULES.entries()) {
  progress(`── ${i + 1}/${MODULES.length} ${name}`);
  try {
    const module = (await import(`./${name}.bench.js`)) as { run(): Promise<BenchEntry[]> };
    entries.push(...(await module.run()));
  } catch (err) {
    failed = true;
    console.error(err);
    entries.push({ name: `${name} benchmark`, value: Number.NaN, unit: '', reference: null, referenceValue: null, target: null, met: null, note: `failed: ${(err as Error).message.split('\n')[0]}` });
  }
}
writeFileSync(join(root, RESULTS_FILE), `${JSON.stringify({ machine, date, entries }, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
const doc = join(root, PERFORMANCE_DOC);
const table = performanceTable(entries, machine, date);
writeFileSync(doc, replaceTable(existsSync(doc) ? readFileSync(doc, 'utf8') : '# Performance\n', table));
progress(`wrote ${RESULTS_FILE} and the table in ${PERFORMANCE_DOC}`);
console.log(`\n${table}\n`);
if (failed) process.exitCode = 1;
