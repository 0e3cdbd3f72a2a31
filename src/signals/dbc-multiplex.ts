import type { DbcMessage, DbcSignal } from './dbc-model.js';

/** A multiplexed signal is present when `switchSignal` is present and its raw value lies in one of `ranges`. */
export interface MultiplexCondition {
  switchSignal: DbcSignal;
  ranges: ReadonlyArray<readonly [number, number]>;
}

/**
 * The switch that selects `signal`, undefined for a signal that is always present, or a
 * string saying why it cannot be resolved. SG_MUL_VAL_ names the switch explicitly; plain
 * `m<n>` means the message's only `M` signal (other than the signal itself, for `m<n>M`).
 */
function multiplexCondition(message: DbcMessage, signal: DbcSignal): MultiplexCondition | undefined | string {
  if (signal.multiplexSwitch !== undefined) {
    const switchSignal = message.signals.find((s) => s.name === signal.multiplexSwitch);
    if (switchSignal === undefined || switchSignal === signal) {
      return `multiplexer switch '${signal.multiplexSwitch}' of signal '${signal.name}' is not a signal of message '${message.name}'`;
    }
    return { switchSignal, ranges: signal.multiplexRanges ?? [] };
  }
  if (signal.multiplexValue === undefined) return undefined;
  const switches = message.signals.filter((s) => s.multiplexer === 'switch' && s !== signal);
  const switchSignal = switches[0];
  if (switchSignal === undefined) {
    return `signal '${signal.name}' is multiplexed but message '${message.name}' has no multiplexer switch`;
  }
  if (switches.length > 1) {
    return `signal '${signal.name}' is multiplexed but message '${message.name}' has several switches and no SG_MUL_VAL_ for it`;
  }
  return { switchSignal, ranges: [[signal.multiplexValue, signal.multiplexValue]] };
}

/**
 * Every multiplexed signal's condition, or the first reason one cannot be resolved
 * (including switches that select each other in a loop).
 */
export function multiplexConditions(message: DbcMessage): Map<DbcSignal, MultiplexCondition> | string {
  const conditions = new Map<DbcSignal, MultiplexCondition>();
  for (const signal of message.signals) {
    const condition = multiplexCondition(message, signal);
    if (typeof condition === 'string') return condition;
    if (condition !== undefined) conditions.set(signal, condition);
  }
  for (const signal of conditions.keys()) {
    let current: DbcSignal | undefined = signal;
    for (let depth = 0; current !== undefined; depth++) {
      if (depth > message.signals.length) {
        return `multiplexer switches of message '${message.name}' select each other in a loop (via '${signal.name}')`;
      }
      current = conditions.get(current)?.switchSignal;
    }
  }
  return conditions;
}

/** Nesting depth: 0 for signals always present, 1 for those selected by a top-level switch, … */
export function multiplexDepth(conditions: ReadonlyMap<DbcSignal, MultiplexCondition>, signal: DbcSignal): number {
  let depth = 0;
  for (let s = conditions.get(signal); s !== undefined; s = conditions.get(s.switchSignal)) depth++;
  return depth;
}

export function inRanges(ranges: MultiplexCondition['ranges'], raw: number): boolean {
  return ranges.some(([low, high]) => raw >= low && raw <= high);
}
