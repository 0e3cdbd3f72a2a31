import { isAbsolute, relative } from 'node:path';
import type { DecoderStats } from '../signals/signal-decoder.js';
import type { Vehicle } from '../signals/signal-map.js';

/**
 * Below one decoded frame in this many, a log "almost" matches nothing: a real car's mapped
 * messages (speed, wheels, gear) are among its frequent ones, while another car's DBC may
 * share a rare id by chance.
 */
const ALMOST_NOTHING = 1000;

const count = (n: number): string => n.toLocaleString('en-US');

/** The path as the integrator would type it: from the working folder when inside it. */
export function shownPath(file: string, cwd = process.cwd()): string {
  const inside = relative(cwd, file);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : file;
}

/**
 * The warning for frames that match nothing, or almost nothing, of the vehicle's DBC, which
 * without it would just decode nothing; undefined when they match. `hint` says what to check.
 */
export function unmatchedFramesWarning(vehicle: Vehicle, stats: DecoderStats, hint: string, cwd = process.cwd()): string | undefined {
  const total = stats.decoded + stats.ignored + stats.unusable;
  if (total > 0 && stats.decoded * ALMOST_NOTHING >= total) return undefined;
  const messages = new Set(vehicle.signals.map((s) => s.message)).size;
  const what = `${shownPath(vehicle.dbc.file, cwd)} (the ${messages} messages its signals.json maps)`;
  if (total === 0) return `no CAN frame came in to match against ${what}; ${hint}`;
  const short = stats.unusable > 0 ? `, and ${count(stats.unusable)} had the id of one but were too short to carry any of its mapped signals` : '';
  return `${count(stats.decoded)} of ${count(total)} frames matched ${what}${short}; ${hint}`;
}

/** Says once, on the first check that finds it, that the frames match (almost) nothing of the vehicle. */
export class UnmatchedFramesWatch {
  private warned = false;

  constructor(
    private readonly vehicle: Vehicle,
    private readonly stats: DecoderStats,
    private readonly hint: string,
    private readonly warn: (line: string) => void,
  ) {}

  check(): void {
    if (this.warned) return;
    const warning = unmatchedFramesWarning(this.vehicle, this.stats, this.hint);
    if (warning === undefined) return;
    this.warned = true;
    this.warn(warning);
  }
}
