import t from 'tap';
import { HealthWatch, describeBreach } from '../../src/health/health-watch.js';

const spec = { windowMs: 5000, bounds: { rx_dropped_per_s: { max: 100 }, rx_packets_per_s: { min: 1000 } } };

void t.test('rates since the switch: within bounds until the window ends, then passed', (t) => {
  const watch = new HealthWatch(spec, { rx_dropped: 10, rx_packets: 0 }, 1000);
  t.same(watch.unknownMetrics, []);
  t.same(watch.check({ rx_dropped: 60, rx_packets: 4000 }, 2000), { state: 'watching' }, '50 drops/s, 4000 packets/s');
  t.same(watch.check({ rx_dropped: 500, rx_packets: 20_000 }, 6000), { state: 'passed' }, '98 drops/s over the whole window');
  t.end();
});

void t.test('a max or a min broken is a breach, with the value, the bound and when', (t) => {
  const watch = new HealthWatch(spec, { rx_dropped: 0, rx_packets: 0 }, 0);
  const verdict = watch.check({ rx_dropped: 300, rx_packets: 500 }, 1000);
  t.same(verdict, {
    state: 'breached',
    afterMs: 1000,
    breaches: [
      { metric: 'rx_dropped_per_s', value: 300, bound: 'max', limit: 100 },
      { metric: 'rx_packets_per_s', value: 500, bound: 'min', limit: 1000 },
    ],
  });
  if (verdict.state === 'breached') t.same(verdict.breaches.map(describeBreach), ['rx_dropped_per_s 300 > 100', 'rx_packets_per_s 500 < 1000']);
  t.end();
});

void t.test('too soon after the switch a rate means nothing: no verdict before 200 ms', (t) => {
  const watch = new HealthWatch(spec, { rx_dropped: 0, rx_packets: 0 }, 0);
  t.same(watch.check({ rx_dropped: 50, rx_packets: 0 }, 100), { state: 'watching' });
  t.equal(watch.check({ rx_dropped: 50, rx_packets: 0 }, 200).state, 'breached');
  t.end();
});

void t.test('metrics that are not rates of the driver\'s counters are named and not watched', (t) => {
  const watch = new HealthWatch({ windowMs: 1000, bounds: { rx_dropped: { max: 1 }, tx_aborted_per_s: { max: 1 }, rx_dropped_per_s: { max: 1000 } } }, { rx_dropped: 0 }, 0);
  t.same(watch.unknownMetrics, ['rx_dropped', 'tx_aborted_per_s']);
  t.same(watch.check({ rx_dropped: 5 }, 1000), { state: 'passed' }, 'only rx_dropped_per_s counts');
  t.end();
});
