import t from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { describeHolds } from '../../src/cli/status-command.js';
import type { Hold } from '../../src/policy/hold-registry.js';
import { runDrive } from '../helpers/scenario.js';

void t.test('persona status prints when holds end on the wall clock, not in CAN time long past', async (t) => {
  // The scripted drive is stamped 2026-01-01T09:00Z, like a replayed log; the clock says December.
  const clock = new SimulatedClock(0, Date.UTC(2026, 11, 7, 8));
  const placed: Hold[] = [];
  const r = await runDrive(
    (daemon) => [
      { seconds: 1, speedKmh: 0, gear: 126 },
      {
        seconds: 20,
        speedKmh: 40,
        gear: 3,
        onStart: () => {
          placed.push(daemon().placeHold({ owner: 'diag', driverId: 'pvnic', personality: 'highway', priority: 9, holdSeconds: 90 }, { maxPerOwner: 1 }).hold);
          placed.push(daemon().placeHold({ owner: 'head-unit', driverId: 'pvnic', personality: 'offroad', priority: 5 }, { maxPerOwner: 1 }).hold);
        },
      },
    ],
    { clock },
  );
  const lines = describeHolds(r.published.holds.at(-1)!.holds);
  t.same(lines, [
    'holds:',
    `  ${placed[0]!.id}: highway for pvnic, owner diag, priority 9, until 2026-12-07T08:01:31.000Z`,
    `  ${placed[1]!.id}: offroad for pvnic, owner head-unit, priority 5, while head-unit is present, lease until 2026-12-07T09:00:01.000Z`,
  ]);
  for (const line of lines.slice(1)) t.ok(Date.parse(/until (\S+)$/.exec(line)![1]!) > clock.wallNow(), `${line.trim()}: later than now, ${new Date(clock.wallNow()).toISOString()}`);
});
