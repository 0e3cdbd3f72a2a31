/**
 * The condensed demo drive the VM test plays (condensed-drive.ts), through the whole decision
 * pipeline on the host, as fast as possible: the switches the VM test expects, each clear of
 * what would replace it by more than a stall of the guest, without booting a VM.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { loadConfig } from '../../src/daemon/config.js';
import { simulate } from '../../src/daemon/simulation.js';
import { synthesizeDrive } from '../../src/signals/drive-synth.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { condensedDemoDrive, STALL_S } from './condensed-drive.js';

void t.test('the condensed demo drive switches as the demo drive does, each switch more than a stall ahead of what would replace it', async (t) => {
  const root = packageRoot();
  const drive = condensedDemoDrive(root);
  const seconds = drive.segments.reduce((sum, s) => sum + s.seconds, 0);
  t.comment(`${seconds.toFixed(1)} s: ${drive.segments.map((s) => `${s.label} ${s.seconds} s`).join(', ')}`);
  const dir = t.testdir();
  const log = join(dir, 'condensed-drive.log');
  writeFileSync(log, synthesizeDrive(loadVehicle(join(root, 'vehicles/demo')), drive));
  const config = loadConfig({ cwd: dir, overrides: { ecuId: 'condensed', can: `replay:${log}`, holdState: 'holds.json' } });
  const { decisions } = await simulate(config, createLogger('persona', 'error', () => {}));

  const at = (canTime: string): number => Date.parse(canTime) / 1000 - drive.startTime;
  const switches = decisions.filter((d) => d.drivers.some((driver) => Object.keys(driver.apply).length > 0));
  t.same(
    switches.map((d) => d.drivers[0]!.winner.personality),
    ['parked', 'city', 'city', 'highway', 'city', 'offroad', 'city', 'parked'],
    'the personalities of the drive, in order',
  );
  t.equal(switches[2]!.trigger, 'standstill', 'the ring size that waited is applied at the light');
  const changes = decisions.filter((d, i) => d.context.driving !== decisions[i - 1]?.context.driving);
  t.same(
    changes.map((d) => d.context.driving),
    ['unknown', 'parked', 'city', 'highway', 'city', 'offroad', 'city', 'parked'],
    'parked → city → highway → city → offroad → city → parked',
  );

  // A stall delays what the guest receives in it: a switch delayed past the next context change or
  // switch would be replaced, the standstill switch past moving off would find the car moving, and
  // the last one past the end of the drive would not be seen before the bus falls silent.
  const movesOff = drive.segments.slice(0, drive.segments.findIndex((s) => s.label === 'city again')).reduce((sum, s) => sum + s.seconds, 0);
  const events = [...changes, ...switches].map((d) => at(d.canTime)).concat(movesOff, seconds);
  const clearances = switches.map((d) => {
    const time = at(d.canTime);
    return Math.min(...events.filter((e) => e > time)) - time;
  });
  t.comment(`switches at ${switches.map((d) => at(d.canTime).toFixed(1)).join(', ')} s; clear of the next event by ${clearances.map((c) => c.toFixed(1)).join(', ')} s`);
  t.ok(
    clearances.every((c) => c > STALL_S),
    `every switch more than ${STALL_S} s ahead`,
  );
});
