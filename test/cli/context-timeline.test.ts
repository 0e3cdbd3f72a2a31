import t from 'tap';
import { contextTimeline } from '../../src/cli/context-timeline.js';
import type { DrivingContextName } from '../../src/context/context-names.js';
import type { DecisionRecord } from '../../src/daemon/decision-record.js';

const START_MS = Date.parse('2026-01-01T09:00:00.000Z');

/** Decisions at seconds into the drive (CAN time) with their driving context: all a timeline reads. The wall clock stood still, as in a replay as fast as possible. */
function decisions(entries: ReadonlyArray<[number, DrivingContextName]>): DecisionRecord[] {
  return entries.map(([s, driving]) => ({ time: '2031-06-01T12:00:00.000Z', canTime: new Date(START_MS + s * 1000).toISOString(), context: { driving } }) as unknown as DecisionRecord);
}

void t.test('a decision that keeps the context is no change; times are from the first frame', async (t) => {
  const timeline = contextTimeline(decisions([[0.5, 'unknown'], [1, 'parked'], [20, 'parked'], [30, 'city']]), START_MS * 1000);
  t.same(timeline, { spans: [{ atMs: 500, context: 'unknown' }, { atMs: 1000, context: 'parked' }, { atMs: 30_000, context: 'city' }], changes: 2, flapping: null });
});

void t.test('more than 10 changes within 60 s is flapping; 10 is not', async (t) => {
  const alternating = (n: number, everyS: number): Array<[number, DrivingContextName]> => [
    [0, 'unknown'],
    ...Array.from({ length: n }, (_, i): [number, DrivingContextName] => [100 + i * everyS, i % 2 === 0 ? 'city' : 'highway']),
  ];
  t.equal(contextTimeline(decisions(alternating(10, 5)), START_MS * 1000).flapping, null, '10 changes in 45 s');
  t.same(contextTimeline(decisions(alternating(11, 5)), START_MS * 1000).flapping, { fromMs: 100_000, toMs: 150_000, changes: 11 }, '11 changes in 50 s');
  t.equal(contextTimeline(decisions(alternating(20, 6)), START_MS * 1000).flapping, null, 'one change every 6 s: 10 in any minute');
});
