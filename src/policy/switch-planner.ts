import type { ApplyClass } from '../backend/driver-backend.js';
import type { ParameterValue, ParameterValues } from '../manifests/personality.js';
import { sameValue } from '../backend/parameter-check.js';
import type { Verdict } from './arbiter.js';

/** Where a driver stands, as the daemon knows it. */
export interface DriverStanding {
  /** The personality last (partly) applied; null before the first switch. */
  readonly personality: string | null;
  readonly lastSwitchMs: number | undefined;
  /** Current values, including applies already queued. */
  readonly values: ParameterValues;
}

/**
 * - `unchanged`: the driver already has the winner's values.
 * - `switch`: everything changes now.
 * - `partial`: runtime parameters change now; disruptive ones wait for a standstill.
 * - `pending`: only disruptive parameters differ, and the vehicle is moving.
 * - `deferred`: too soon after the last switch of this driver.
 */
export type PlanResult = 'unchanged' | 'switch' | 'partial' | 'pending' | 'deferred';

export interface SwitchPlan {
  readonly result: PlanResult;
  /** Values to apply now. */
  readonly apply: ParameterValues;
  /** Values that wait for the next standstill. */
  readonly waiting: ParameterValues;
  /** For `deferred`: when the switch may happen. */
  readonly notBeforeMs?: number;
}

export interface PlanInput {
  readonly verdict: Verdict;
  /** The winner's parameters. */
  readonly target: ParameterValues;
  readonly standing: DriverStanding;
  readonly applyClass: (parameter: string) => ApplyClass;
  readonly standstill: boolean;
  readonly nowMs: number;
  readonly minSwitchIntervalMs: number;
}

/**
 * Decides what of the winner's personality to apply now. Switches of one driver are at
 * least minSwitchIntervalMs apart (a later one is deferred, not lost) except switches to
 * safety and the completion of a switch already begun; parameters that are not `runtime`
 * change only at a standstill.
 */
export function planSwitch(input: PlanInput): SwitchPlan {
  const { verdict, target, standing } = input;
  const differing = Object.entries(target).filter(([name, value]) => !sameValue(standing.values[name], value));
  if (differing.length === 0) return { result: 'unchanged', apply: {}, waiting: {} };
  const continuing = standing.personality === verdict.winner.personality;
  const exempt = verdict.winner.source === 'safety' || continuing;
  const notBeforeMs = standing.lastSwitchMs === undefined ? undefined : standing.lastSwitchMs + input.minSwitchIntervalMs;
  if (!exempt && notBeforeMs !== undefined && input.nowMs < notBeforeMs) return { result: 'deferred', apply: {}, waiting: {}, notBeforeMs };
  const now: Array<[string, ParameterValue]> = [];
  const later: Array<[string, ParameterValue]> = [];
  for (const entry of differing) (input.standstill || input.applyClass(entry[0]) === 'runtime' ? now : later).push(entry);
  const result: PlanResult = later.length === 0 ? 'switch' : now.length > 0 ? 'partial' : 'pending';
  return { result, apply: Object.fromEntries(now), waiting: Object.fromEntries(later) };
}
