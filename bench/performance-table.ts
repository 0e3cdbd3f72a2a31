import type { BenchEntry } from './bench-entry.js';
import type { Machine } from './machine.js';

export const TABLE_BEGIN = '<!-- bench:table:begin (written by npm run bench; do not edit by hand) -->';
export const TABLE_END = '<!-- bench:table:end -->';

/** Figures with a sensible number of digits: 3 significant, thousands grouped. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null || Number.isNaN(value)) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === '' ? text : `${text} ${unit}`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function verdict(e: BenchEntry): string {
  if (e.note?.startsWith('skipped')) return 'skipped';
  if (e.met === null) return 'reported';
  return e.met ? 'met' : '**missed**';
}

/** Modules run again after the whole run, on the same machine: their rows replaced the run's. */
export interface Rerun {
  modules: readonly string[];
  date: string;
  loadAtStart: number;
  /** Set when the rerun's machine is not the run's. */
  machine?: Machine;
}

/** The table of a run: one row per entry; a missed target is marked and says what limits it. */
export function performanceTable(entries: readonly BenchEntry[], machine: Machine, date: string, reruns: readonly Rerun[] = []): string {
  const lines = [
    `Measured ${date} on ${machine.cpu}, ${machine.cores} logical CPUs, ${machine.memoryGb} GB, ${machine.kernel}, Node ${machine.node}; load average ${machine.loadAtStart} when the run began.`,
    ...reruns.map(
      (r) =>
        `The rows of ${r.modules.join(', ')} were measured again ${r.date} on ${r.machine ? `another machine (${r.machine.cpu}, ${r.machine.cores} logical CPUs, ${r.machine.kernel}, Node ${r.machine.node})` : 'the same machine'} (load average ${r.loadAtStart}), each with its references in that run.`,
    ),
    '',
    '| figure | value | reference (same run) | reference value | target | verdict | notes |',
    '| --- | ---: | --- | ---: | --- | --- | --- |',
  ];
  for (const e of entries) {
    const referenceUnit = e.unit === '×' ? '' : e.unit;
    lines.push(
      `| ${cell(e.name)} | ${formatValue(e.value, e.unit)} | ${cell(e.reference ?? '—')} | ${e.referenceValue === null ? '—' : cell(e.reference?.includes('(median ms)') ? formatValue(e.referenceValue, 'ms') : formatValue(e.referenceValue, referenceUnit))} | ${cell(e.target ?? '—')} | ${verdict(e)} | ${cell(e.note ?? '')} |`,
    );
  }
  return lines.join('\n');
}

/** `document` with the text between the markers replaced by `table` (markers appended when missing). */
export function replaceTable(document: string, table: string): string {
  const begin = document.indexOf(TABLE_BEGIN);
  const end = document.indexOf(TABLE_END);
  if (begin < 0 || end < begin) return `${document.trimEnd()}\n\n${TABLE_BEGIN}\n${table}\n${TABLE_END}\n`;
  return `${document.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${document.slice(end)}`;
}
