import type { InstanceInput } from '../context/instance-features.js';
import type { DecisionRecord } from '../daemon/decision-record.js';

const entries = (values: Readonly<Record<string, string>>): string =>
  Object.entries(values)
    .map(([n, v]) => `${n} ${v}`)
    .join(', ');

const RESULT: Record<string, string> = {
  unchanged: 'already in place',
  switch: 'applied',
  partial: 'applied in part',
  pending: 'waiting for a standstill',
  deferred: 'deferred',
};

/** How much of a decision to tell, and by which clock. */
export interface DecisionTextOptions {
  /** The inputs too (signals, features, workload, host): `why` shows them, `simulate` does not. */
  readonly inputs: boolean;
  /**
   * `wall`: a running daemon's decision, by the wall clock with its CAN time beside it (what the
   * signals' ages and a deferral count in); `can`: a simulation's, whose only time is the drive's.
   */
  readonly clock: 'wall' | 'can';
}

/** What `persona why` tells. */
const WHY: DecisionTextOptions = { inputs: true, clock: 'wall' };

/** A decision record in words, for `persona why` and `persona simulate`. */
export function describeDecision(r: DecisionRecord, options: DecisionTextOptions = WHY): string[] {
  const f = r.inputs.features;
  const speed = f?.speedKmh === null || f === null ? 'speed unknown' : `${f.speedKmh.toFixed(1)} km/h`;
  // A daemon older than canTime publishes records with its pipeline time as `time`.
  const canTime = r.canTime as string | undefined;
  const at = options.clock === 'can' ? `CAN time ${canTime ?? r.time}` : `${r.time}${canTime === undefined ? '' : ` (CAN time ${canTime})`}`;
  const lines = [
    `decision ${r.seq} at ${at}, after ${r.trigger}`,
    `  context: driving ${r.context.driving}, workload ${r.context.workload}, io ${r.context.io}, instance ${r.context.instance} (${speed})`,
  ];
  for (const d of r.drivers) {
    const by = d.winner.source === 'hold' ? `hold ${d.winner.rule} of ${d.winner.owner} (priority ${d.winner.priority})` : d.winner.source === 'safety' ? `safety rule ${d.winner.rule}` : `policy rule ${d.winner.rule}`;
    const notBefore = options.clock === 'can' ? (d.notBeforeCanTime ?? d.notBefore) : d.notBefore;
    lines.push(`  ${d.target} (${d.resources.join(', ')}): ${d.winner.personality}, chosen by ${by}: ${RESULT[d.result] ?? d.result}${notBefore ? ` until ${notBefore} (minimum interval between switches)` : ''}`);
    if (Object.keys(d.apply).length > 0) lines.push(`    applied now: ${entries(d.apply)}`);
    if (Object.keys(d.waiting).length > 0) lines.push(`    waiting for a standstill: ${entries(d.waiting)}`);
    for (const l of d.losers) lines.push(`    not ${l.personality} (${l.source} ${l.rule}): ${l.why}`);
  }
  if (options.inputs) {
    const signals = Object.entries(r.inputs.signals).map(([name, s]) => {
      // A daemon older than freshness and degraded publishes records without them.
      const f = (r.inputs.freshness as DecisionRecord['inputs']['freshness'] | undefined)?.[name];
      const limit = f === undefined ? '' : f.maxAgeMs === null ? ', learning its period' : `, max ${Math.round(f.maxAgeMs)} ${f.source}`;
      return `${name.replace(/^Vehicle\./, '')} ${s ? `${Math.round(s.value * 100) / 100} (${Math.round(s.ageMs)} ms old${limit})` : `stale (${f?.ageMs == null ? 'never received' : `${Math.round(f.ageMs)} ms old`}${limit})`}`;
    });
    lines.push(`  signals: ${signals.join(', ') || 'none yet'}`);
    if (f && (f.degraded as readonly string[] | undefined)?.length) lines.push(`  optional signals stale (their features wait, the context does not): ${f.degraded.map((n) => n.replace(/^Vehicle\./, '')).join(', ')}`);
    if (f) lines.push(`  features: vertical RMS ${fmt(f.verticalRms)} m/s², wheel slip ${fmt(f.wheelSlip)}, steering ${fmt(f.steeringActivity)} °/s, standstill ${(f.standstillMs / 1000).toFixed(1)} s, ${f.stopsPerMinute} stops/min`);
    const w = r.inputs.workload;
    if (w) lines.push(`  workload: pressure cpu ${w.cpuPressure.toFixed(1)} %, memory ${w.memoryPressure.toFixed(1)} %, io ${w.ioPressure === null ? 'n/a' : `${w.ioPressure.toFixed(1)} %`}`);
    const i = r.inputs.instance;
    if (i) lines.push(`  host: ${describeHostContext(i)}`);
  }
  return lines;
}

/** The host's instance context as received; a stale one is shown for what it was, and as ignored. */
function describeHostContext(i: InstanceInput): string {
  const said = `role ${i.role ?? 'n/a'}, resources ${i.resources ?? 'n/a'}, host pressure ${i.hostPressure === null ? 'n/a' : `${i.hostPressure.toFixed(1)} %`}`;
  const origin = `from ${i.source ?? 'nowhere'}, updated ${i.updated ?? 'never'}`;
  return i.stale ? `stale, ignored (${said}; ${origin})` : `${said} (${origin})`;
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(2);
}
