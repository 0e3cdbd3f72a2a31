import t from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import type { RejectedPayload } from '../../src/mqtt/contract.js';
import { RejectionReporter } from '../../src/mqtt/rejection-reporter.js';

void t.test('the first refusal of a kind is reported at once, the rest of its window as one count', async (t) => {
  const clock = new SimulatedClock();
  const events: RejectedPayload[] = [];
  const reporter = new RejectionReporter((e) => events.push(e), () => clock.now(), () => clock.wallNow(), 1000);
  const flood = { client: 'media', what: 'request/why', status: 429, error: 'too many', code: 'E_RATE' };
  for (let i = 0; i < 500; i++) reporter.report(flood);
  reporter.report({ client: 'nav', what: 'request/why', status: 429, error: 'too many', code: 'E_RATE' });
  t.same(events.map((e) => [e.client, e.count]), [['media', 1], ['nav', 1]], 'one event per client, action and status at first');
  t.equal(events[0]!.time, '2026-01-01T00:00:00.000Z', 'wall-clock time');
  clock.advance(1000);
  reporter.flush();
  t.same(events.slice(2).map((e) => [e.client, e.count]), [['media', 499]], 'then the count of the window');
  clock.advance(1000);
  reporter.flush();
  t.equal(events.length, 3, 'a quiet window reports nothing…');
  reporter.report(flood);
  t.same(events.slice(3).map((e) => [e.client, e.count]), [['media', 1]], '…and closes, so the next refusal is reported at once');
  const total = events.filter((e) => e.client === 'media').reduce((sum, e) => sum + e.count!, 0);
  t.equal(total, 501, 'every refusal is counted once');
});

void t.test('a client that makes up new actions cannot grow the reporter without bound', async (t) => {
  const clock = new SimulatedClock();
  let counted = 0;
  const reporter = new RejectionReporter((e) => (counted += e.count ?? 1), () => clock.now(), () => clock.wallNow(), 1000);
  for (let i = 0; i < 5000; i++) {
    reporter.report({ client: 'x', what: `request/a${i % 2000}`, status: 404, error: 'unknown' });
  }
  reporter.flush(true);
  t.equal(counted, 5000, 'every refusal counted, with at most 1024 kinds open at once');
});
