import t from 'tap';
import { PvnicTrafficModel, type PvnicConfig } from '../../src/profile/pvnic-traffic-model.js';

/** Counters after `ms` ticks of the model at a steady rate. */
function run(config: PvnicConfig, ms: number, pps = 8000): ReturnType<PvnicTrafficModel['counters']> {
  const model = new PvnicTrafficModel(config);
  model.setRate(pps);
  for (let tick = 1; tick <= ms; tick++) model.tick(tick * 1_000_000);
  return model.counters();
}

void t.test('without coalescing every tick interrupts, and a packet waits half a tick on average', (t) => {
  const c = run({ coalesceNs: 0, dmaBytes: 65_536, power: 'disabled' }, 1000);
  t.same(c, { rxPackets: 8000, rxInterrupts: 1000, rxDropped: 0, rxLatencyNs: 8000 * 437_500 }, 'arrivals 0..875 µs before the tick');
  t.end();
});

void t.test('coalescing trades interrupts for latency, and the power mode adds its wake-up to each packet', (t) => {
  const c = run({ coalesceNs: 2_000_000, dmaBytes: 262_144, power: 'balanced' }, 3000);
  t.equal(c.rxInterrupts, 1000, 'every third tick: the oldest packet has waited 2.875 ms');
  t.equal(c.rxDropped, 0);
  t.equal(c.rxLatencyNs / c.rxPackets, 1_437_500 + 20_000, 'a tick and a half more, plus 20 µs');
  t.end();
});

void t.test('a ring smaller than what coalescing holds drops the rest', (t) => {
  const c = run({ coalesceNs: 4_000_000, dmaBytes: 65_536, power: 'disabled' }, 1000);
  t.equal(c.rxInterrupts, 200, 'every fifth tick');
  t.equal(c.rxPackets, 200 * 32, 'the 32 entries of 64KB');
  t.equal(c.rxDropped, 8000 - 200 * 32);
  t.end();
});

void t.test('a rate that is not whole packets per tick carries the fraction, and a new ring drops what the old held', (t) => {
  const model = new PvnicTrafficModel({ coalesceNs: 100_000_000, dmaBytes: 4_194_304, power: 'disabled' });
  model.setRate(2500);
  for (let tick = 1; tick <= 4; tick++) model.tick(tick * 1_000_000);
  model.configure({ coalesceNs: 100_000_000, dmaBytes: 65_536, power: 'disabled' });
  t.same(model.counters(), { rxPackets: 0, rxInterrupts: 0, rxDropped: 10, rxLatencyNs: 0 }, '2.5 packets per tick for 4 ticks, all pending, all lost');
  t.end();
});
