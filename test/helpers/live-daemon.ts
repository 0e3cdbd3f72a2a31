import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { buildDaemon, type DaemonOptions } from '../../src/daemon/build-daemon.js';
import { loadConfig, type PersonaConfig } from '../../src/daemon/config.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { ScriptSource, type Leg } from './drive-script.js';

/** Parked for a second, then 20 s of city driving. */
export const CITY_DRIVE: readonly Leg[] = [
  { seconds: 1, speedKmh: 0, gear: 126 },
  { seconds: 20, speedKmh: 40, gear: 3 },
];

/**
 * A started daemon on a real broker, driven by `legs` on a simulated clock; after the last
 * leg the bus goes quiet and time stands still, like a live source with nothing to say.
 * It is stopped when `t` ends.
 */
export async function startLiveDaemon(t: Test, brokerUrl: string, ecuId: string, legs: readonly Leg[] = CITY_DRIVE, connection?: DaemonOptions['connection'], overrides: Partial<PersonaConfig> = {}, api?: DaemonOptions['api']): Promise<Daemon> {
  const clock = new SimulatedClock();
  const source = new ScriptSource(loadVehicle(join(packageRoot(), 'vehicles/demo')), legs, clock, true);
  // A daemon with a broker keeps its holds on disk: in a folder of this test's own, so that
  // no run restores the holds of another.
  const state = mkdtempSync(join(tmpdir(), 'persona-holds-'));
  const config = loadConfig({ cwd: packageRoot(), overrides: { ecuId, workloadIntervalMs: 0, holdState: join(state, 'holds.json'), ...overrides } });
  const daemon = (await buildDaemon(config, { logger: silentLogger, clock, source, ...(connection ? { connection } : {}), ...(api ? { api } : {}) }))({ brokerUrl });
  await daemon.start();
  const running = daemon.run();
  t.teardown(async () => {
    await daemon.stop();
    await running;
    rmSync(state, { recursive: true, force: true });
  });
  return daemon;
}
