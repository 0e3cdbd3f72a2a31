/** Recent intervals kept per signal: at 1 Hz half a minute, at 50 Hz 0.6 s. */
const RING = 32;
/** A signal is stale after this many of its usual (90th percentile) intervals… */
const PERIODS_PER_MAX_AGE = 3;
/** …or, where it is longer, after this much of the second-longest recent interval (event-driven messages, heartbeats). */
const LONGEST_MARGIN = 1.5;

/**
 * Each signal's period as the bus shows it, learned from the intervals between the frames
 * that carry it and kept up to date: a ring of recent intervals per signal, in preallocated
 * arrays (one write per frame, nothing allocated), summarised only when asked and only when
 * something new came. One frame says nothing; a second gives a first estimate. The maximum
 * age it derives is robust to jitter and to one long gap or clock step (the 90th percentile
 * and the second-longest interval both leave a single outlier out), and covers event-driven
 * messages (a heartbeat repeats, so the second-longest interval is one, and is never called
 * stale).
 */
export class BusPeriods {
  private readonly intervals: Float64Array;
  private readonly count: Int32Array;
  private readonly next: Int32Array;
  private readonly lastUs: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly period: Float64Array;
  private readonly maxAge: Float64Array;
  private readonly scratch = new Float64Array(RING);

  constructor(signals: number) {
    this.intervals = new Float64Array(signals * RING);
    this.count = new Int32Array(signals);
    this.next = new Int32Array(signals);
    this.lastUs = new Float64Array(signals).fill(Number.NaN);
    this.dirty = new Uint8Array(signals);
    this.period = new Float64Array(signals).fill(Number.NaN);
    this.maxAge = new Float64Array(signals).fill(Number.NaN);
  }

  /** Signal `i` came in a frame at `timeUs`. A time that does not move forward (a clock step) is no interval; the next counts from it. */
  arrived(i: number, timeUs: number): void {
    const last = this.lastUs[i]!;
    this.lastUs[i] = timeUs;
    if (!(timeUs > last)) return;
    this.intervals[i * RING + this.next[i]!] = (timeUs - last) / 1000;
    this.next[i] = (this.next[i]! + 1) % RING;
    if (this.count[i]! < RING) this.count[i]!++;
    this.dirty[i] = 1;
  }

  /** The median recent interval, ms; undefined before two frames. */
  periodMs(i: number): number | undefined {
    this.refresh(i);
    const p = this.period[i]!;
    return Number.isNaN(p) ? undefined : p;
  }

  /** The maximum age the bus suggests, ms; undefined while still learning. */
  maxAgeMs(i: number): number | undefined {
    this.refresh(i);
    const a = this.maxAge[i]!;
    return Number.isNaN(a) ? undefined : a;
  }

  private refresh(i: number): void {
    if (this.dirty[i] === 0) return;
    this.dirty[i] = 0;
    const n = this.count[i]!;
    if (n === 0) return;
    const sorted = this.scratch;
    for (let k = 0; k < n; k++) sorted[k] = this.intervals[i * RING + k]!;
    insertionSort(sorted, n);
    this.period[i] = sorted[(n - 1) >> 1]!;
    const p90 = sorted[Math.floor(0.9 * (n - 1))]!;
    const secondLongest = sorted[Math.max(0, n - 2)]!;
    this.maxAge[i] = Math.max(PERIODS_PER_MAX_AGE * p90, LONGEST_MARGIN * secondLongest);
  }
}

/** Sorts the first `n` values in place; n ≤ 32, so this beats allocating for Array.prototype.sort. */
function insertionSort(a: Float64Array, n: number): void {
  for (let k = 1; k < n; k++) {
    const v = a[k]!;
    let j = k - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}
