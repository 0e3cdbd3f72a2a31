import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import { loadConfig } from '../daemon/config.js';
import { simulate } from '../daemon/simulation.js';
import { loadVehicle, type Vehicle } from '../signals/signal-map.js';
import { shownPath, unmatchedFramesWarning } from './frame-match.js';
import { EXIT_CONFIG, EXIT_FAILURE, type Output } from './output.js';
import { VEHICLE_HELP as VEHICLE_OPTION_HELP, vehicleDir } from './vehicle-dir.js';
import { contextTimeline, FLAPPING_RULE, type ContextTimeline } from './context-timeline.js';
import { checkDrive, SAMPLE_INTERVAL_MS, worst, type DriveCheck, type Finding, type SignalCheck, type Verdict } from './vehicle-report.js';

export const VEHICLE_HELP = `persona vehicle check --vehicle NAME|DIR --can replay:LOG [--json]
  the first check on a new car: replay a log of it through its signals.json and DBC, and report
  each mapped signal, the driving contexts the drive gives, and a verdict (--json: one object)
${VEHICLE_OPTION_HELP}
  per signal: its DBC message.signal; whether persona requires it, reads it if there, or does
  not read it; frames; the period on the bus (median); the maximum age and where it comes from
  (mapping, dbc, observed, or learning); how much of the drive it was stale (sampled every
  ${SAMPLE_INTERVAL_MS} ms of CAN time after its first frame); the range decoded; and a verdict:
    never received                             fail if required, else warn
    stale over 5 % of the drive                warn; fail if required and over 20 %
    the DBC's cycle time ×2 off the bus        warn (where the maximum age comes from the DBC)
    codes the map's values do not list         warn
    values outside the DBC signal's [min|max]  warn
    a speed below 0 or above 400 km/h          warn
    the steering against the wheel speeds      warn, when most turns disagree (a missing sign)
  the contexts flap (${FLAPPING_RULE}): warn
  exit code 0 without a fail, 1 with one (a log that matches nothing of the vehicle is one),
  2 for a wrong command line or an unusable vehicle or log
`;

/** Everything the check found, as `--json` prints it and the text shows it. */
interface VehicleReport {
  readonly vehicle: string;
  readonly dbc: string;
  readonly log: string;
  readonly frames: { readonly total: number; readonly mapped: number; readonly short: number; readonly other: number };
  readonly durationS: number;
  /** The log matches nothing, or almost nothing, of the vehicle's DBC. */
  readonly frameMatch: string | null;
  readonly warnings: { readonly map: readonly string[]; readonly dbc: number };
  readonly signals: readonly SignalCheck[];
  readonly timeline: { readonly contexts: ReadonlyArray<{ readonly atS: number; readonly context: string }>; readonly changes: number; readonly flapping: { readonly fromS: number; readonly toS: number; readonly changes: number } | null };
  readonly verdict: Verdict;
}

const HINT = 'is --vehicle right?';
const seconds = (ms: number): number => Math.round(ms / 100) / 10;
const count = (n: number): string => n.toLocaleString('en-US');
const tenths = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);
const thousandths = (n: number | null): number | null => (n === null ? null : Math.round(n * 1000) / 1000);

export async function vehicleCommand(args: string[], out: Output): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'check') {
    out.log(`persona vehicle: expected "check"\n\n${VEHICLE_HELP}`);
    return EXIT_CONFIG;
  }
  const { values } = parseArgs({ args: rest, options: { vehicle: { type: 'string' }, can: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const log = values.can?.startsWith('replay:') ? values.can.slice('replay:'.length) : '';
  if (values.vehicle === undefined || values.can === undefined || log === '') {
    out.log(`persona vehicle check: --vehicle and --can replay:LOG are required\n\n${VEHICLE_HELP}`);
    return EXIT_CONFIG;
  }
  if (!existsSync(log)) {
    out.log(`persona vehicle check: --can ${values.can}: file not found`);
    return EXIT_CONFIG;
  }
  let dir: string;
  let vehicle: Vehicle;
  try {
    dir = vehicleDir(values.vehicle);
    vehicle = loadVehicle(dir);
  } catch (err) {
    if (!(err instanceof DocumentError)) throw err;
    out.log(err.message);
    return EXIT_CONFIG;
  }
  let drive: DriveCheck;
  let timeline: ContextTimeline;
  try {
    drive = await checkDrive(vehicle, values.can, createLogger('persona:can', 'warn', (l) => out.log(l)));
    // The daemon's warnings (optional signals stale) are in the report already, and the replay's malformed lines were said by the first pass.
    const { decisions } = await simulate(loadConfig({ overrides: { vehicle: dir, can: values.can } }), createLogger('persona', 'error', (l) => out.log(l)));
    timeline = contextTimeline(decisions, drive.firstUs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(err instanceof DocumentError) && !(err instanceof RangeError) && code === undefined) throw err;
    // A log that is a folder or unreadable: said with its path, as a file not found is.
    out.log(err instanceof DocumentError || err instanceof RangeError ? err.message : `persona vehicle check: --can ${values.can}: ${code}`);
    return EXIT_CONFIG;
  }
  const report = assemble(dir, vehicle, log, drive, timeline);
  if (values.json) out.print(JSON.stringify(report));
  else describeReport(report).forEach((line) => out.print(line));
  return report.verdict === 'fail' ? EXIT_FAILURE : 0;
}

function assemble(dir: string, vehicle: Vehicle, log: string, drive: DriveCheck, timeline: ContextTimeline): VehicleReport {
  const { decoded, short, ignored, unusable } = drive.frames;
  const frameMatch = unmatchedFramesWarning(vehicle, drive.frames, HINT) ?? null;
  const signals = drive.signals.map((s) => ({ ...s, periodMs: tenths(s.periodMs), maxAgeMs: tenths(s.maxAgeMs), staleShare: thousandths(s.staleShare), min: thousandths(s.min), max: thousandths(s.max) }));
  const flapping = timeline.flapping && { fromS: seconds(timeline.flapping.fromMs), toS: seconds(timeline.flapping.toMs), changes: timeline.flapping.changes };
  const overall: Finding[] = signals.flatMap((s) => s.findings);
  if (frameMatch !== null) overall.push({ level: 'fail', text: frameMatch });
  if (flapping !== null) overall.push({ level: 'warn', text: 'the context flaps' });
  return {
    vehicle: shownPath(dir),
    dbc: shownPath(vehicle.dbc.file),
    log: shownPath(log),
    frames: { total: decoded + unusable + ignored, mapped: decoded + unusable, short, other: ignored },
    durationS: seconds(drive.durationMs),
    frameMatch,
    warnings: { map: vehicle.warnings, dbc: vehicle.dbc.warnings.length },
    signals,
    timeline: { contexts: timeline.spans.map((s) => ({ atS: seconds(s.atMs), context: s.context })), changes: timeline.changes, flapping },
    verdict: worst(overall),
  };
}

/** `fail: a; b; warn: c`: the worst first, each level named once. */
export function describeFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'ok';
  const of = (level: Finding['level']): string[] => findings.filter((f) => f.level === level).map((f) => f.text);
  return [['fail', of('fail')] as const, ['warn', of('warn')] as const]
    .filter(([, texts]) => texts.length > 0)
    .map(([level, texts]) => `${level}: ${texts.join('; ')}`)
    .join('; ');
}

/** A table's rows with each column padded to its widest cell; `right` columns are aligned right. */
function table(rows: readonly string[][], right: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

function signalRow(s: SignalCheck): string[] {
  const unit = s.unit === '' ? '' : ` ${s.unit}`;
  return [
    s.vss,
    s.dbc,
    s.use,
    count(s.frames),
    s.periodMs === null ? '-' : `${Math.round(s.periodMs)} ms`,
    s.maxAgeMs === null ? 'learning' : `${Math.round(s.maxAgeMs)} ms ${s.maxAgeSource}`,
    s.staleShare === null ? 'never' : `${(s.staleShare * 100).toFixed(1)} %`,
    s.min === null || s.max === null ? '-' : `${s.min} … ${s.max}${unit}`,
    describeFindings(s.findings),
  ];
}

function describeReport(r: VehicleReport): string[] {
  const { frames } = r;
  const verdicts = (['fail', 'warn', 'ok'] as const).map((v) => [v, r.signals.filter((s) => s.verdict === v).length] as const).filter(([, n]) => n > 0);
  const besides = [...(r.frameMatch === null ? [] : ['the log matches nothing of the vehicle']), ...(r.timeline.flapping === null ? [] : ['the context flaps'])];
  const flapping = r.timeline.flapping;
  return [
    `vehicle   ${r.vehicle}`,
    `dbc       ${r.dbc}`,
    `log       ${r.log}`,
    `frames    ${count(frames.total)}: ${count(frames.mapped)} of mapped messages (${count(frames.short)} short), ${count(frames.other)} of other messages`,
    ...(r.frameMatch === null ? [] : [`          ${r.frameMatch}`]),
    `drive     ${r.durationS.toFixed(1)} s`,
    `warnings  ${r.warnings.map.length} of the map, ${r.warnings.dbc} of the DBC${r.warnings.dbc > 0 ? ` (persona dbc lint --warnings ${r.dbc} lists them)` : ''}`,
    ...r.warnings.map.map((w) => `          ${w}`),
    '',
    ...table([['signal', 'DBC', 'use', 'frames', 'period', 'max age', 'stale', 'range', 'verdict'], ...r.signals.map(signalRow)], new Set([3, 4, 6])),
    '',
    `contexts  ${r.timeline.contexts.map((c) => `${c.atS.toFixed(1)} s ${c.context}`).join(' → ')}`,
    `changes   ${r.timeline.changes}, ${flapping === null ? 'no flapping' : `flapping: ${flapping.changes} between ${flapping.fromS.toFixed(1)} s and ${flapping.toS.toFixed(1)} s`} (${FLAPPING_RULE} is flapping)`,
    '',
    `verdict   ${r.verdict}: ${[verdicts.map(([v, n]) => `${n} ${v}`).join(', '), ...besides].join('; ')}`,
  ];
}
