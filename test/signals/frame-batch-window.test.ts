import t from 'tap';
import { join } from 'node:path';
import { DEFAULT_BATCH_WINDOW_MS } from '../../src/can/can-frame.js';
import { packageRoot } from '../../src/common/package-root.js';
import { frameBatchWindowMs } from '../../src/signals/frame-batch-window.js';
import { loadVehicle, type Vehicle } from '../../src/signals/signal-map.js';

const demo = loadVehicle(join(packageRoot(), 'vehicles/demo'));
const withMaxAges = (...ages: Array<number | undefined>): Vehicle => ({ ...demo, signals: ages.map((maxAgeMs, i) => ({ ...demo.signals[i % demo.signals.length]!, maxAgeMs })) });

void t.test('a batch spans at most a sixth of the shortest maximum age: half a period of a message kept three periods', async (t) => {
  t.equal(frameBatchWindowMs(demo), 10, 'the demo vehicle: 20 ms messages, 60 ms maximum ages');
  t.equal(frameBatchWindowMs(withMaxAges(300, 30, 60)), 5, 'a message every 10 ms');
  t.equal(frameBatchWindowMs(withMaxAges(300, 6)), 1, 'a maximum age from the map');
});

void t.test('long maximum ages leave the window at its upper bound', async (t) => {
  t.equal(frameBatchWindowMs(withMaxAges(3000)), DEFAULT_BATCH_WINDOW_MS);
});

void t.test('a maximum age still to be learned counts as that of a 5 ms message until it is: a DBC without cycle times does not flap', async (t) => {
  t.equal(frameBatchWindowMs(withMaxAges(300, undefined)), 2.5);
});
