/* eslint-disable no-console -- the run's report */
/**
 * `npm run bench`: every benchmark module in order, then bench/results.json and the table in
 * docs/performance.md. A module that fails is a row saying so, and the run goes on; the exit
 * code is then 1. A missed target is not a failure: it stays in the table, marked.
 *
 * `npm run bench -- NAME…` runs the named modules only, after a change that concerns them, and
 * replaces their rows (by figure) in the committed results and table, which then say so.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import type { BenchEntry } from './bench-entry.js';
import { progress } from './bench-progress.js';
import { thisMachine, type Machine } from './machine.js';
import { performanceTable, replaceTable, type Rerun } from './performance-table.js';

/** bench/<name>.bench.ts, each exporting `run(): Promise<BenchEntry[]>`, in the order they run (a new module is one more name). */
const MODULES = ['can-decode', 'manifest-verify', 'workload-sampler', 'pipeline-latency', 'request-host', 'namespace-adoption', 'kernel', 'cpu-share', 'can-receive', 'dashboard', 'startup', 'memory'];

export const RESULTS_FILE = 'bench/results.json';
export const PERFORMANCE_DOC = 'docs/performance.md';

interface Results {
  machine: Machine;
  date: string;
  entries: BenchEntry[];
  reruns?: Rerun[];
}

const root = packageRoot();
const date = new Date().toISOString();
const machine = thisMachine();
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !MODULES.includes(name));
if (unknown.length > 0) throw new Error(`no benchmark module ${unknown.join(', ')}: the modules are ${MODULES.join(', ')}`);
const modules = chosen.length > 0 ? MODULES.filter((name) => chosen.includes(name)) : MODULES;
const entries: BenchEntry[] = [];
let failed = false;
for (const [i, name] of modules.entries()) {
  progress(`── ${i + 1}/${modules.length} ${name}`);
  try {
    const module = (await import(`./${name}.bench.js`)) as { run(): Promise<BenchEntry[]> };
    entries.push(...(await module.run()).map((e) => ({ ...e, module: name })));
  } catch (err) {
    failed = true;
    console.error(err);
    entries.push({ name: `${name} benchmark`, value: Number.NaN, unit: '', reference: null, referenceValue: null, target: null, met: null, note: `failed: ${(err as Error).message.split('\n')[0]}`, module: name });
  }
}
if (chosen.length > 0 && failed) {
  // The committed rows stay as they were: a failed rerun measured nothing to put in their place.
  console.error(`a module failed; ${RESULTS_FILE} and the table are left as they were`);
  process.exit(1);
}
const results: Results = chosen.length > 0 ? rerun(JSON.parse(readFileSync(join(root, RESULTS_FILE), 'utf8')) as Results, entries) : { machine, date, entries };
writeFileSync(join(root, RESULTS_FILE), `${JSON.stringify(results, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
const doc = join(root, PERFORMANCE_DOC);
const table = performanceTable(results.entries, results.machine, results.date, results.reruns);
writeFileSync(doc, replaceTable(existsSync(doc) ? readFileSync(doc, 'utf8') : '# Performance\n', table));
progress(`wrote ${RESULTS_FILE} and the table in ${PERFORMANCE_DOC}`);
console.log(`\n${table}\n`);
if (failed) process.exitCode = 1;

/**
 * The committed results with the rows of this run in place of theirs; a figure new to them goes
 * last. A module run again replaces its earlier rerun in what the table says.
 */
function rerun(committed: Results, fresh: readonly BenchEntry[]): Results {
  // A row is the rerun module's by its module, or, written before rows named their module, by its figure.
  const replaced = (e: BenchEntry): boolean => (e.module !== undefined ? modules.includes(e.module) : fresh.some((f) => f.name === e.name));
  const at = committed.entries.findIndex(replaced);
  const kept = committed.entries.filter((e) => !replaced(e));
  const entries = at < 0 ? [...kept, ...fresh] : [...kept.slice(0, at), ...fresh, ...kept.slice(at)];
  const earlier = (committed.reruns ?? []).map((r) => ({ ...r, modules: r.modules.filter((m) => !modules.includes(m)) })).filter((r) => r.modules.length > 0);
  const same = (['cpu', 'cores', 'memoryGb', 'kernel', 'node'] as const).every((k) => committed.machine[k] === machine[k]);
  return { ...committed, entries, reruns: [...earlier, { modules, date, loadAtStart: machine.loadAtStart, ...(same ? {} : { machine }) }] };
}
