import type { DrivingContextName } from '../context/context-names.js';
import type { DecisionRecord } from '../daemon/decision-record.js';

/** More context changes than this within FLAPPING_WINDOW_MS is flapping. */
const FLAPPING_CHANGES = 10;
const FLAPPING_WINDOW_MS = 60_000;

/** The driving context from a time into the drive on. */
export interface ContextSpan {
  readonly atMs: number;
  readonly context: DrivingContextName;
}

export interface ContextTimeline {
  /** The first context, then one entry per change. */
  readonly spans: readonly ContextSpan[];
  readonly changes: number;
  /** The busiest window of FLAPPING_WINDOW_MS when it holds more than FLAPPING_CHANGES changes. */
  readonly flapping: { readonly fromMs: number; readonly toMs: number; readonly changes: number } | null;
}

/** Each change of the driving context in the decisions, in CAN time from `startUs` (the drive's first frame). */
export function contextTimeline(decisions: readonly DecisionRecord[], startUs: number | null): ContextTimeline {
  const spans: ContextSpan[] = [];
  const originMs = startUs === null ? (decisions[0] === undefined ? 0 : Date.parse(decisions[0].canTime)) : startUs / 1000;
  for (const d of decisions) {
    if (spans.at(-1)?.context === d.context.driving) continue;
    spans.push({ atMs: Date.parse(d.canTime) - originMs, context: d.context.driving });
  }
  const changeTimes = spans.slice(1).map((s) => s.atMs);
  let flapping: ContextTimeline['flapping'] = null;
  for (let i = 0, j = 0; i < changeTimes.length; i++) {
    while (j < changeTimes.length && changeTimes[j]! < changeTimes[i]! + FLAPPING_WINDOW_MS) j++;
    if (j - i > FLAPPING_CHANGES && j - i > (flapping?.changes ?? 0)) flapping = { fromMs: changeTimes[i]!, toMs: changeTimes[j - 1]!, changes: j - i };
  }
  return { spans, changes: changeTimes.length, flapping };
}

export const FLAPPING_RULE = `more than ${FLAPPING_CHANGES} changes within ${FLAPPING_WINDOW_MS / 1000} s`;
