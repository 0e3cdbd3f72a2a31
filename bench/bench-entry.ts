/** One row of bench/results.json: a figure measured side by side with its reference in the same run. */
export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  /** What the figure is compared with, measured in the same run (null when it has no reference). */
  reference: string | null;
  referenceValue: number | null;
  /** The target in words, e.g. "≥ 20 M frames/s", or null when the figure is reported only. */
  target: string | null;
  met: boolean | null;
  /** What limits a missed target, or why a row was skipped. */
  note?: string;
  /** The benchmark module that measured it (set by `npm run bench`), so that running the module again replaces its rows. */
  module?: string;
}
