/**
 * Exact unit arithmetic for driver parameters. Drivers take integers, so every
 * value is parsed to an integer in the smallest unit and rejected rather than
 * rounded: a personality must mean exactly the same thing on every vehicle.
 */

/** `4ms`, `500us`: no sign, no decimals, no leading zeros, no spaces, lower-case units. */
export const DURATION_PATTERN = /^(0|[1-9][0-9]*)(ns|us|ms|s)$/;
/** `64KB`, `1000B`: KB and MB are binary (1024), as drivers count buffer sizes. */
export const SIZE_PATTERN = /^(0|[1-9][0-9]*)(B|KB|MB)$/;

// Largest unit first: formatting keeps the first of equally short forms.
const NANOSECONDS: Readonly<Record<string, number>> = { s: 1e9, ms: 1e6, us: 1e3, ns: 1 };
const BYTES: Readonly<Record<string, number>> = { MB: 1024 * 1024, KB: 1024, B: 1 };

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

export class UnitError extends Error {
  readonly code = 'E_UNIT';
  override readonly name = 'UnitError';

  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`${JSON.stringify(value)}: ${reason}`);
  }
}

/** Parses a duration such as `4ms` to nanoseconds. */
export function parseDuration(text: string): number {
  return parse(text, DURATION_PATTERN, NANOSECONDS, 'duration');
}

/** Parses a size such as `256KB` to bytes. */
export function parseSize(text: string): number {
  return parse(text, SIZE_PATTERN, BYTES, 'size');
}

/** Nanoseconds in the shortest exact form: 4000000 → `4ms`, 1500000 → `1500us`. */
export function formatDuration(ns: number): string {
  return format(ns, NANOSECONDS);
}

/** Bytes in the shortest exact form: 65536 → `64KB`, 1000 → `1000B`. */
export function formatSize(bytes: number): string {
  return format(bytes, BYTES);
}

function parse(
  text: string,
  pattern: RegExp,
  factors: Readonly<Record<string, number>>,
  what: string,
): number {
  const [, digits, unit] = pattern.exec(text) ?? [];
  const factor = unit === undefined ? undefined : factors[unit];
  if (digits === undefined || factor === undefined) {
    throw new UnitError(text, `not a ${what} (expected ${pattern.source})`);
  }
  // BigInt so that the range check itself cannot lose precision.
  const value = BigInt(digits) * BigInt(factor);
  if (value > MAX) throw new UnitError(text, `${what} exceeds ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}

function format(value: number, factors: Readonly<Record<string, number>>): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UnitError(String(value), 'not a non-negative safe integer');
  }
  // Never empty: every table has a factor of 1. For anything but 0 the shortest
  // form is the largest exact unit; 0 becomes `0s` and `0B`.
  return Object.entries(factors)
    .filter(([, factor]) => value % factor === 0)
    .map(([unit, factor]) => `${value / factor}${unit}`)
    .reduce((best, candidate) => (candidate.length < best.length ? candidate : best));
}
