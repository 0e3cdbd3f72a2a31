import type { DriverInfo } from '../backend/driver-backend.js';
import { BackendError } from '../backend/driver-backend.js';
import { checkParameter } from '../backend/parameter-check.js';
import { formatParameter, PARAMETER_KINDS, type ParameterValue, type ParameterValues } from '../manifests/personality.js';
import { parseDuration, parseSize, UnitError } from '../manifests/units.js';

/** One swept parameter and the values it takes, in order. */
export interface SweptParameter {
  readonly name: string;
  /** As written on the command line, for the profile's record. */
  readonly spec: string;
  readonly values: readonly ParameterValue[];
}

/** A `--param` that cannot be swept; names the flag and what is wrong with it. */
export class ParameterSpecError extends Error {
  readonly code = 'E_PARAM_SPEC';
  constructor(
    spec: string,
    readonly reason: string,
  ) {
    super(`--param ${spec}: ${reason}`);
  }
}

/** More points than this is a typo, not a profile: at a second each it would run for hours. */
export const MAX_GRID_POINTS = 10_000;
const DEFAULT_STEPS = 5;
const MAX_STEPS = 1000;
// Largest first: a range's values are rounded to the first that fits (see parseSweptParameter).
const QUANTA = { duration: [1e9, 1e6, 1e3, 1], size: [1024 * 1024, 1024, 1] } as const;

/**
 * Parses one `--param NAME=VALUES` against the driver's declaration. VALUES is a list
 * (`disabled,balanced`; a set's members joined by `+`: `gro+rx_checksum,rx_checksum`) or, for
 * durations and sizes, a range: `0us..200us` (5 evenly spaced values), `0us..200us:9` (9 of
 * them) or `16KB..256KB*2` (each value twice the one before). Range values are rounded to the
 * largest unit that both ends are whole numbers of and that is no larger than a step, so
 * `0ms..8ms:5` is 0, 2, 4, 6 and 8 ms and `0ms..1ms:4` is 0, 333, 667 and 1000 µs.
 * @throws ParameterSpecError
 */
export function parseSweptParameter(spec: string, driver: DriverInfo): SweptParameter {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new ParameterSpecError(spec, 'expected NAME=VALUES, e.g. interrupt_coalescence_time=0us..200us');
  const name = spec.slice(0, eq);
  const text = spec.slice(eq + 1);
  const kind = PARAMETER_KINDS[name];
  const declared = driver.parameters[name];
  if (kind === undefined || declared === undefined) {
    throw new ParameterSpecError(spec, `driver ${driver.id} has no parameter ${name}; it has ${Object.keys(driver.parameters).join(', ')}`);
  }
  let values: ParameterValue[];
  try {
    if ((kind === 'duration' || kind === 'size') && text.includes('..')) values = range(text, kind);
    else values = text.split(',').map((item) => one(item, kind));
  } catch (error) {
    if (error instanceof ParameterSpecError) throw new ParameterSpecError(spec, error.reason);
    if (error instanceof UnitError) throw new ParameterSpecError(spec, error.message);
    throw error;
  }
  const seen = new Set<string>();
  values = values.filter((v) => {
    const key = JSON.stringify(v);
    return !seen.has(key) && seen.add(key);
  });
  for (const value of values) {
    try {
      checkParameter(declared, value, name);
    } catch (error) {
      if (!(error instanceof BackendError)) throw error;
      throw new ParameterSpecError(spec, `${formatParameter(name, value)}: ${error.message}`);
    }
  }
  return { name, spec, values };
}

/** Every combination of the swept values, the first parameter varying slowest. */
export function gridPoints(parameters: readonly SweptParameter[]): ParameterValues[] {
  const names = new Set<string>();
  for (const p of parameters) {
    if (names.has(p.name)) throw new ParameterSpecError(p.spec, `${p.name} is given twice`);
    names.add(p.name);
  }
  const size = parameters.reduce((n, p) => n * p.values.length, 1);
  if (size > MAX_GRID_POINTS) throw new ParameterSpecError(parameters.map((p) => p.spec).join(' --param '), `${size} points; at most ${MAX_GRID_POINTS}`);
  return parameters.reduce<ParameterValues[]>(
    (points, p) => points.flatMap((point) => p.values.map((value) => ({ ...point, [p.name]: value }))),
    [{}],
  );
}

function one(item: string, kind: string): ParameterValue {
  if (item === '') throw new ParameterSpecError(item, 'an empty value');
  if (kind === 'duration') return parseDuration(item);
  if (kind === 'size') return parseSize(item);
  if (kind === 'set') return item.split('+').toSorted();
  return item;
}

function range(text: string, kind: 'duration' | 'size'): number[] {
  const match = /^([^.]+)\.\.([^:*]+)(?:([:*])([0-9]+))?$/.exec(text);
  if (!match) throw new ParameterSpecError(text, 'expected LOW..HIGH, LOW..HIGH:STEPS or LOW..HIGH*FACTOR');
  const [, lowText, highText, how, countText] = match as unknown as [string, string, string, string | undefined, string | undefined];
  const parse = kind === 'duration' ? parseDuration : parseSize;
  const [low, high] = [parse(lowText), parse(highText)];
  if (low > high) throw new ParameterSpecError(text, `${lowText} is above ${highText}`);
  const count = countText === undefined ? undefined : Number(countText);
  const step = how === '*' ? low : (high - low) / Math.max(1, (count ?? DEFAULT_STEPS) - 1);
  // Coarse enough to read well, fine enough not to merge neighbouring values.
  const quantum = QUANTA[kind].find((q) => low % q === 0 && high % q === 0 && q <= step) ?? 1;
  const round = (v: number): number => Math.round(v / quantum) * quantum;
  if (how === '*') {
    if (count === undefined || count < 2) throw new ParameterSpecError(text, 'the factor must be 2 or more');
    if (low === 0) throw new ParameterSpecError(text, 'a geometric range cannot start at 0');
    const values: number[] = [];
    for (let v = low; v <= high && values.length < MAX_STEPS; v *= count) values.push(round(v));
    return values;
  }
  const steps = count ?? DEFAULT_STEPS;
  if (steps < 1 || steps > MAX_STEPS) throw new ParameterSpecError(text, `the number of steps must be 1 to ${MAX_STEPS}`);
  if (steps === 1 || low === high) return [low];
  return Array.from({ length: steps }, (_, i) => round(low + ((high - low) * i) / (steps - 1)));
}
