import { formatTimestamp } from './timestamp.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How far past the time on file the clock may carry the trusted time at a start: the time the
 * car was off is unknown, so the clock is believed up to this much of it. A clock that jumps
 * ahead at a start (a bad RTC, a GNSS receiver without a fix, a spoofed one) moves what is
 * remembered by at most this much, so a clock that is right again finds everything as it was,
 * bar what expires within this bound. A car that starts at least once a week follows a right
 * clock exactly; after a longer stand-still its trusted time catches up by this much per start.
 */
export const CLOCK_LEAD_BOUND_MS = 7 * DAY_MS;

/**
 * No clock before this is believed: this code did not exist yet, so such a clock is a flat
 * RTC battery or a receiver without a fix. Raising it with a release only makes a first start
 * with such a clock judge expiry later.
 */
export const EARLIEST_TIME_MS = Date.UTC(2026, 0, 1);

/** Where the ceiling counts from: a time proven, the uptime then, and how far a clock may lead it beyond the uptime since. */
interface Proof {
  readonly time: number;
  readonly uptime: number;
  readonly allowance: number;
}

/**
 * The latest time persona has reason to believe has come. At a start it is the time on file,
 * and the clock may carry it up to CLOCK_LEAD_BOUND_MS further (plus the time run since). Once
 * it has followed a clock reading within that bound, the clock is believed, and from then on
 * the trusted time follows it only as fast as the process's monotonic clock runs: a jump ahead
 * during a run moves it not at all. It never goes back, except by a signed time reset
 * (time-reset.ts).
 */
export class TrustedTime {
  private time: number;
  /** Undefined on a first start until a clock reading not before EARLIEST_TIME_MS is believed. */
  private proof: Proof | undefined;

  /**
   * @param proven the time on file; undefined on a first start, which has nothing to go on and
   *   so believes the first clock reading that is not before EARLIEST_TIME_MS
   * @param uptime monotonic milliseconds (the process's own clock, which a wall-clock jump does not move)
   */
  constructor(
    proven: number | undefined,
    private readonly uptime: () => number,
  ) {
    this.time = Math.max(proven ?? EARLIEST_TIME_MS, EARLIEST_TIME_MS);
    this.proof = proven === undefined ? undefined : { time: this.time, uptime: uptime(), allowance: CLOCK_LEAD_BOUND_MS };
  }

  /** The trusted time as it stands, without reading a clock. */
  get value(): number {
    return this.time;
  }

  /** Moves the trusted time forward to the clock, as far as the bound lets it, and returns it. */
  follow(clockMs: number): number {
    const uptime = this.uptime();
    const proof = this.proof;
    const ceiling = proof === undefined ? Number.POSITIVE_INFINITY : proof.time + proof.allowance + (uptime - proof.uptime);
    const believable = proof !== undefined || clockMs >= EARLIEST_TIME_MS;
    if (believable && clockMs >= this.time && clockMs <= ceiling) {
      this.time = clockMs;
      this.proof = { time: clockMs, uptime, allowance: 0 };
    } else if (proof !== undefined) {
      this.time = Math.max(this.time, Math.min(clockMs, ceiling));
    }
    return this.time;
  }

  /** Sets the trusted time to `time`, lower or higher, and counts the bound from it: only for a signed time reset. */
  reset(time: number): void {
    this.time = time;
    this.proof = { time, uptime: this.uptime(), allowance: CLOCK_LEAD_BOUND_MS };
  }
}

/** What judgingTime reads the trusted time from. */
export interface TrustedTimeSource {
  trustedTime(clockMs: number): number;
}

/**
 * The instant a load judges expiry at: the later of the clock and the trusted time. A clock
 * behind is overruled, so a clock set back revives nothing that expired before the trusted
 * time; a clock ahead refuses what it says has expired, for as long as it says so, but is
 * remembered only as far as the bound lets the trusted time follow it.
 */
export function judgingTime(clockMs: number, source?: TrustedTimeSource): number {
  return Math.max(source?.trustedTime(clockMs) ?? clockMs, clockMs);
}

/** Names the time an expiry was judged at for a refusal: the trusted time, or the clock when that was later. */
export function describeJudgingTime(at: number, trusted: number | undefined): string {
  if (trusted === undefined) return `clock ${formatTimestamp(at)}`;
  if (at <= trusted) return `trusted time ${formatTimestamp(at)}`;
  return `clock ${formatTimestamp(at)}, ahead of the trusted time ${formatTimestamp(trusted)}`;
}
