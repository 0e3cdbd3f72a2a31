import { basename } from 'node:path';
import type { DecisionRecord, DriverDecision } from '../daemon/decision-record.js';
import type { Candidate } from '../policy/arbiter.js';

const RESULT: Record<string, string> = {
  unchanged: 'in place',
  switch: 'applied',
  partial: 'applied in part',
  pending: 'pending',
  deferred: 'deferred',
};

/** `policy.json#/drivers/pvnic/rules/3` without the folder it was loaded from. */
const ruleName = (rule: string): string => {
  const hash = rule.indexOf('#');
  return hash < 0 ? rule : `${basename(rule.slice(0, hash))}${rule.slice(hash)}`;
};

function chosenBy(c: Candidate): string {
  if (c.source === 'hold') return `hold ${c.rule} by ${c.owner ?? 'unknown'} (prio ${c.priority ?? '?'})`;
  return `${c.source} rule ${ruleName(c.rule)}`;
}

function driverPart(d: DriverDecision): string {
  const waiting = Object.entries(d.waiting).map(([n, v]) => `${n} ${v}`);
  const parts = [`${d.target}: ${d.winner.personality} by ${chosenBy(d.winner)}, ${RESULT[d.result] ?? d.result}${d.notBefore ? ` until ${d.notBefore}` : ''}`];
  if (waiting.length > 0) parts.push(`waiting for a standstill: ${waiting.join(', ')}`);
  const holds = d.losers.filter((l) => l.source === 'hold');
  if (holds.length === 0 && d.winner.source !== 'hold') parts.push('outranked holds: none');
  for (const l of holds) parts.push(`${chosenBy(l)} ${l.why}`);
  for (const l of d.losers.filter((c) => c.source !== 'hold')) parts.push(`${l.source} ${l.personality} ${l.why}`);
  return parts.join('; ');
}

/**
 * The decision in one line of words, for people watching the dashboard:
 * "highway because speed > 90 km/h (after 5 s in city); now 104.0 km/h, 12 s in highway;
 * decided after driving city → highway; pvnic: highway by policy rule
 * policy.json#/drivers/pvnic/rules/4, applied; outranked holds: none".
 * `drivingSince` is when the driving context last changed (ISO, CAN time, as the record's
 * `canTime`: dwell times are the drive's) and `because` why, from the statechart's guard.
 */
export function decisionSentence(record: DecisionRecord, drivingSince: string | null, because?: string): string {
  const speed = record.inputs.features?.speedKmh;
  const dwellMs = drivingSince === null ? NaN : Date.parse(record.canTime) - Date.parse(drivingSince);
  const now = [speed === null || speed === undefined ? 'speed unknown' : `${speed.toFixed(1)} km/h`, ...(Number.isFinite(dwellMs) && dwellMs >= 0 ? [`${Math.round(dwellMs / 1000)} s in ${record.context.driving}`] : [])];
  const head = `${record.context.driving}${because ? ` because ${because}` : ''}; now ${now.join(', ')}; decided after ${record.trigger}`;
  return [head, ...record.drivers.map(driverPart)].join('; ');
}
