import t from 'tap';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { InstanceFeed } from '../../src/namespace/instance-feed.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const doc = (changes: Record<string, unknown> = {}): { bytes: Buffer; origin: string } => ({
  bytes: Buffer.from(JSON.stringify({ format: 1, instance: 'cockpit-1', role: 'cockpit', resources: 'normal', hostPressure: 12.5, updated: '2026-12-01T10:00:00Z', ...changes })),
  origin: 'dir:/ns/instances/cockpit-1/context.json',
});

void t.test('a fresh context is read as the host wrote it, and goes stale when not rewritten', (t) => {
  let now = T0 + 1000;
  const feed = new InstanceFeed('cockpit-1', 60_000, silentLogger, () => now);
  t.match(feed.reading(), { stale: true, role: null, source: null }, 'nothing yet');
  t.equal(feed.update(doc()), undefined);
  t.strictSame(feed.reading(), { stale: false, role: 'cockpit', resources: 'normal', hostPressure: 12.5, updated: '2026-12-01T10:00:00Z', source: 'dir:/ns/instances/cockpit-1/context.json' });
  now = T0 + 60_001;
  t.equal(feed.reading().stale, true, 'older than instanceStaleMs');
  t.equal(feed.reading().role, 'cockpit', 'still shown, for the status');
  feed.update(doc({ updated: '2026-12-01T10:01:00Z' }));
  t.equal(feed.reading().stale, false, 'rewritten');
  now = T0 - 120_000;
  t.equal(feed.reading().stale, true, 'dated far ahead of this clock');
  t.end();
});

void t.test('a bad context is refused with the field at fault and changes nothing; each problem is logged once', (t) => {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(typeof m === 'string' ? m : m()) };
  const feed = new InstanceFeed('cockpit-1', 60_000, logger, () => T0);
  feed.update(doc());
  t.match(feed.update(doc({ resources: 'plenty' })), /context\.json: \/resources: must be one of "normal", "constrained"/);
  t.match(feed.update(doc({ instance: 'adas-1' })), /\/instance: is "adas-1", not this instance "cockpit-1"/);
  t.match(feed.update(doc({ hostPressure: 101 })), /\/hostPressure: must be <= 100/);
  t.match(feed.update({ bytes: Buffer.from('{"format":'), origin: 'mqtt:persona/fleet/instances/cockpit-1/context' }), /mqtt:persona\/fleet\/instances\/cockpit-1\/context: \/: .*\[E_JSON\]/);
  t.match(feed.update(doc({ extra: true })), /\/extra: unknown key/);
  feed.update(doc({ extra: true }));
  t.equal(warnings.length, 5, 'the repeated one is not logged again');
  t.match(feed.reading(), { stale: false, resources: 'normal' }, 'the good one stays');
  t.end();
});
