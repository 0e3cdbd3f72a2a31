import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import { loadConfig, type PersonaConfig } from '../daemon/config.js';
import type { DecisionRecord, DriverDecision } from '../daemon/decision-record.js';
import { simulate } from '../daemon/simulation.js';
import { describeDecision } from './decision-text.js';
import { unmatchedFramesWarning } from './frame-match.js';
import { EXIT_CONFIG, type Output } from './output.js';
import { VEHICLE_HELP, vehicleDir } from './vehicle-dir.js';

export const SIMULATE_HELP = `persona simulate --can replay:FILE [--vehicle NAME|DIR] [--policy FILE] [--statechart FILE] [--json]
  run the whole decision pipeline over a recorded drive, as fast as possible, on a simulated
  clock and the simulated backend; print every decision at its CAN time (--json: one object a
  line, the decision with the speed, the features and each signal's value and age it was taken
  on; its time and canTime are both the drive's CAN time: a simulation has no wall clock)
${VEHICLE_HELP}
                      (without it: the configuration's vehicle, by default the bundled demo)
`;

/** Milliseconds (keys ending in `Ms`) to 0.1, other numbers to 3 decimals: lines a person can read. */
function rounded<T extends object>(entry: T): T {
  const round = (key: string, value: number): number => (key.endsWith('Ms') ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000);
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, typeof value === 'number' ? round(key, value) : value])) as T;
}

/** What was decided, per driver: what the golden decisions of a drive compare. */
export function decisionOutcome(r: DecisionRecord): object {
  const deferral = (d: DriverDecision): object => (d.notBefore ? { notBefore: d.notBefore, notBeforeCanTime: d.notBeforeCanTime } : {});
  return {
    seq: r.seq,
    time: r.time,
    canTime: r.canTime,
    trigger: r.trigger,
    context: r.context,
    drivers: Object.fromEntries(r.drivers.map((d) => [d.target, { personality: d.winner.personality, winner: d.winner.source, rule: d.winner.rule, result: d.result, apply: d.apply, waiting: d.waiting, ...deferral(d) }])),
  };
}

/**
 * A decision and what it was taken on, as a tuning session compares run to run: the speed, the
 * features and each signal's reading as the snapshot has it (fields it gains appear here too).
 */
export function decisionSummary(r: DecisionRecord): object {
  const features = r.inputs.features === null ? null : rounded(r.inputs.features);
  return {
    ...decisionOutcome(r),
    speedKmh: features?.speedKmh ?? null,
    features,
    signals: Object.fromEntries(Object.entries(r.inputs.signals).map(([vss, reading]) => [vss, reading === null ? null : rounded(reading)])),
  };
}

export async function simulateCommand(args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, can: { type: 'string' }, vehicle: { type: 'string' }, policy: { type: 'string' }, statechart: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const overrides: Partial<PersonaConfig> = {};
  if (values.can !== undefined) overrides.can = values.can;
  if (values.policy !== undefined) overrides.policy = resolve(values.policy);
  if (values.statechart !== undefined) overrides.statechart = resolve(values.statechart);
  try {
    if (values.vehicle !== undefined) overrides.vehicle = vehicleDir(values.vehicle);
    const config = loadConfig({ file: values.config, overrides });
    const logger = createLogger('persona', 'warn', (l) => out.log(l));
    const { vehicle, frames } = await simulate(config, logger, (r) => (values.json ? out.print(JSON.stringify(decisionSummary(r))) : describeDecision(r, { inputs: false, clock: 'can' }).forEach((l) => out.print(l))));
    const hint = values.vehicle === undefined ? "without --vehicle it is the configuration's vehicle: is that the log's car?" : 'is --vehicle right?';
    const warning = unmatchedFramesWarning(vehicle, frames, hint);
    if (warning !== undefined) out.log(`persona simulate: ${warning}`);
    return 0;
  } catch (err) {
    if (!(err instanceof DocumentError) && !(err instanceof RangeError)) throw err;
    out.log(err.message);
    return EXIT_CONFIG;
  }
}
