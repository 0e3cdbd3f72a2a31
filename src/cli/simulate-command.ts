import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import { loadConfig, type PersonaConfig } from '../daemon/config.js';
import type { DecisionRecord } from '../daemon/decision-record.js';
import { simulate } from '../daemon/simulation.js';
import { describeDecision } from './decision-text.js';
import { unmatchedFramesWarning } from './frame-match.js';
import { EXIT_CONFIG, type Output } from './output.js';
import { VEHICLE_HELP, vehicleDir } from './vehicle-dir.js';

export const SIMULATE_HELP = `persona simulate --can replay:FILE [--vehicle NAME|DIR] [--policy FILE] [--statechart FILE] [--json]
  run the whole decision pipeline over a recorded drive, as fast as possible, on a simulated
  clock and the simulated backend; print every decision (one JSON object per line with --json)
${VEHICLE_HELP}
                      (without it: the configuration's vehicle, by default the bundled demo)
`;

/** The part of a decision that a tuning session compares run to run. */
export function decisionSummary(r: DecisionRecord): object {
  return {
    seq: r.seq,
    time: r.time,
    trigger: r.trigger,
    context: r.context,
    drivers: Object.fromEntries(
      r.drivers.map((d) => [d.target, { personality: d.winner.personality, winner: d.winner.source, rule: d.winner.rule, result: d.result, apply: d.apply, waiting: d.waiting, ...(d.notBefore ? { notBefore: d.notBefore } : {}) }]),
    ),
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
    const { vehicle, frames } = await simulate(config, logger, (r) => (values.json ? out.print(JSON.stringify(decisionSummary(r))) : describeDecision(r, false).forEach((l) => out.print(l))));
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
