import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import { SignalMonitor } from '../daemon/signal-monitor.js';
import type { SignalFreshness } from '../signals/signal-decoder.js';
import { loadVehicle, type Vehicle } from '../signals/signal-map.js';
import { unmatchedFramesWarning } from './frame-match.js';
import { EXIT_CONFIG, EXIT_FAILURE, type Output } from './output.js';
import { VEHICLE_HELP, vehicleDir } from './vehicle-dir.js';

export const SIGNALS_HELP = `persona signals --vehicle NAME|DIR --can SOURCE [--interval MS] [--speed N] [--json]
  decode CAN frames into the vehicle's VSS signals and print them every interval of CAN time
  (default 1000 ms; a replay runs as fast as possible unless --speed is given), each with its age
  and its maximum age: from the map (mapping), 3 × the DBC's cycle time (dbc), or learned from
  the period on the bus (observed)
${VEHICLE_HELP}
`;

/** The maximum age and where it comes from: what decides when a value counts as stale. */
export function describeFreshness(f: SignalFreshness): string {
  if (f.ageMs === null) return 'no value yet';
  if (f.maxAgeMs === null) return `learning the period (${f.source})`;
  const bus = f.periodMs === null ? '' : f.source === 'observed' ? ` every ${Math.round(f.periodMs)} ms` : `, bus ${Math.round(f.periodMs)} ms`;
  return `max ${Math.round(f.maxAgeMs)} ms (${f.source}${bus})`;
}

export async function signalsCommand(args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { vehicle: { type: 'string' }, can: { type: 'string' }, interval: { type: 'string' }, speed: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const interval = Number(values.interval ?? 1000);
  const speed = Number(values.speed ?? 0);
  if (values.vehicle === undefined || values.can === undefined || !(interval >= 1) || !(speed >= 0)) {
    out.log(`persona signals: --vehicle and --can are required; --interval ≥ 1 and --speed ≥ 0\n\n${SIGNALS_HELP}`);
    return EXIT_FAILURE;
  }
  let monitor: SignalMonitor;
  let vehicle: Vehicle;
  try {
    vehicle = loadVehicle(vehicleDir(values.vehicle));
    monitor = new SignalMonitor({ vehicle, can: values.can, speed, intervalMs: interval, logger: createLogger('persona:can', 'info', (l) => out.log(l)) });
  } catch (err) {
    if (!(err instanceof DocumentError) && !(err instanceof RangeError)) throw err;
    out.log(err.message);
    return EXIT_CONFIG;
  }
  const width = Math.max(...monitor.signals.map((s) => s.vss.length));
  const stop = (): void => void monitor.stop();
  process.once('SIGINT', stop);
  try {
    await monitor.run((timeUs, elapsedUs, snapshot) => {
      const freshness = monitor.decoder.freshness(timeUs);
      if (values.json) return out.print(JSON.stringify({ time: new Date(timeUs / 1000).toISOString(), signals: snapshot, freshness }));
      out.print(`-- ${(elapsedUs / 1e6).toFixed(3)} s`);
      for (const s of monitor.signals) {
        const r = snapshot[s.vss];
        const reading = r ? `${String(Math.round(r.value * 1000) / 1000).padStart(10)} ${s.unit.padEnd(7)} ${r.ageMs.toFixed(0).padStart(5)} ms old` : `${'stale'.padStart(10)} ${''.padEnd(7)} ${''.padStart(12)}`;
        out.print(`  ${s.vss.padEnd(width)}  ${reading}  ${describeFreshness(freshness[s.vss]!)}`);
      }
    });
  } finally {
    process.off('SIGINT', stop);
  }
  const { decoded, ignored, short } = monitor.decoder.stats;
  out.log(`persona signals: ${decoded} frames decoded, ${ignored} of other messages, ${short} shorter than their DBC message (the signals inside them decoded)`);
  const warning = unmatchedFramesWarning(vehicle, monitor.decoder.stats, 'is --vehicle right?');
  if (warning !== undefined) out.log(`persona signals: ${warning}`);
  return 0;
}
