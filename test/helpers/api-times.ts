/** The timestamps of the API: ISO-8601 UTC, as the contract writes them. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Milliseconds since the epoch, both ends included. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface FoundTime {
  /** JSON pointer of the field. */
  readonly path: string;
  readonly time: string;
  /** Whether the field is CAN time by its name: `canTime`, or a name ending in `CanTime`. */
  readonly can: boolean;
}

/** Every timestamp in a payload, found by its shape rather than by a list of fields, so that fields added later are found too. */
export function timestamps(value: unknown, path = ''): FoundTime[] {
  if (typeof value === 'string') {
    const key = path.split('/').at(-1) ?? '';
    return ISO_TIME.test(value) ? [{ path, time: value, can: key === 'canTime' || key.endsWith('CanTime') }] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => timestamps(v, `${path}/${key}`));
}

/** The timestamps outside their clock's range, as `path: time`: CAN time fields within `can`, every other within `wall`. */
export function timesOutside(found: readonly FoundTime[], wall: TimeRange, can: TimeRange): string[] {
  return found
    .filter(({ time, can: isCan }) => {
      const ms = Date.parse(time);
      const range = isCan ? can : wall;
      return !(ms >= range.fromMs && ms <= range.toMs);
    })
    .map(({ path, time }) => `${path}: ${time}`);
}
