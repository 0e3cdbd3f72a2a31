import { createReadStream } from 'node:fs';
import { systemClock, type Clock } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { DEFAULT_BATCH_WINDOW_MS, deliverBatch, type FrameSink, type FrameSource } from './can-frame.js';
import { MalformedLineReporter, readCandump, type CandumpCursor } from './candump-reader.js';

export interface ReplayOptions {
  /** Playback speed as a multiple of real time; 0 replays as fast as possible. */
  speed?: number;
  /** Start again at the end, with timestamps that keep increasing. */
  loop?: boolean;
  /** The longest stretch of CAN time one batch of frames spans (see ReplaySource). */
  batchWindowMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface ReplayStats {
  frames: number;
  /** Completed passes through the file. */
  passes: number;
}

/** Gap inserted between the last frame of a pass and the first of the next. */
const LOOP_GAP_US = 10_000;

/**
 * Replays a can-utils `candump -L` log, paced in real time × speed or as fast as possible.
 * Paced, it wakes up at most once per batch window (in CAN time, divided by the speed) and
 * hands over every frame due by then, in order and each with its own timestamp, in one
 * batch: a timer per few milliseconds instead of one per frame. A frame waits at most one
 * window; a bus quieter than that is woken for at each frame's own time.
 */
export class ReplaySource implements FrameSource {
  readonly description: string;
  readonly timeScale: number;
  readonly stats: ReplayStats = { frames: 0, passes: 0 };
  /** Lines that are not candump -L frames, counted over all passes. */
  readonly malformed: MalformedLineReporter;
  private readonly speed: number;
  private readonly loop: boolean;
  private readonly windowUs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private abort = new AbortController();
  /** Clock time and log time of the first frame: the anchor of real-time pacing. */
  private origin: { clockMs: number; logUs: number } | undefined;
  /** Clock time of the last wake-up that handed frames over. */
  private lastWakeMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly path: string,
    options: ReplayOptions = {},
  ) {
    this.speed = options.speed ?? 1;
    if (!(this.speed >= 0) || !Number.isFinite(this.speed)) throw new RangeError(`replay speed must be a finite number ≥ 0, got ${this.speed}`);
    const windowMs = options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS;
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`replay batch window must be a finite number of ms > 0, got ${windowMs}`);
    this.windowUs = windowMs * 1000;
    this.timeScale = this.speed;
    this.loop = options.loop ?? false;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.description = `replay:${path}`;
    this.malformed = new MalformedLineReporter(path, this.log);
  }

  async start(sink: FrameSink): Promise<void> {
    this.abort = new AbortController();
    this.origin = undefined;
    this.lastWakeMs = Number.NEGATIVE_INFINITY;
    const signal = this.abort.signal;
    const stopped = (): boolean => signal.aborted;
    let shiftUs = 0;
    do {
      const span = await readCandump(createReadStream(this.path), this.malformed, (frames) => this.play(frames, sink, stopped), signal, { timeShiftUs: shiftUs });
      if (span === undefined || signal.aborted) break;
      this.stats.passes++;
      shiftUs += span.lastUs - span.firstUs + LOOP_GAP_US;
    } while (this.loop && !signal.aborted);
  }

  stop(): Promise<void> {
    this.abort.abort();
    return Promise.resolve();
  }

  /** Hands the frames of one chunk of the file over batch by batch, each when it is due. */
  private async play(frames: CandumpCursor, sink: FrameSink, stopped: () => boolean): Promise<void> {
    let first = frames.next();
    while (first !== undefined && !stopped()) {
      let dueUs = this.dueUntilUs(first.timeUs);
      if (first.timeUs > dueUs) {
        const wakeMs = Math.max(this.clockAt(first.timeUs), this.lastWakeMs + this.windowUs / 1000 / this.speed);
        await this.clock.sleepUntil(wakeMs, this.abort.signal);
        if (stopped()) break;
        // A timer may fire a little early: what it was set for is due.
        dueUs = Math.max(this.dueUntilUs(first.timeUs), this.logAt(wakeMs));
      }
      this.lastWakeMs = this.clock.now();
      // Every frame due now, in batches of at most one window each (more than one only after a stall).
      const untilUs = Math.min(dueUs, first.timeUs + this.windowUs);
      const batch = [first];
      let next = frames.next();
      for (; next !== undefined && next.timeUs <= untilUs; next = frames.next()) batch.push(next);
      this.stats.frames += deliverBatch(sink, batch, stopped);
      first = next;
      // As fast as possible nothing waits between batches: what the sink started meanwhile
      // (an apply) still moves on between them, as it would between wake-ups.
      if (this.speed === 0) await Promise.resolve();
    }
  }

  /** The latest log time due on the clock now; everything when as fast as possible. */
  private dueUntilUs(firstUs: number): number {
    if (this.speed === 0) return Number.POSITIVE_INFINITY;
    this.origin ??= { clockMs: this.clock.now(), logUs: firstUs };
    return this.logAt(this.clock.now());
  }

  /** The log time due at clock time `clockMs`. */
  private logAt(clockMs: number): number {
    const origin = this.origin!;
    return origin.logUs + (clockMs - origin.clockMs) * 1000 * this.speed;
  }

  /** When a frame of log time `timeUs` is due on the clock. */
  private clockAt(timeUs: number): number {
    const origin = this.origin!;
    return origin.clockMs + (timeUs - origin.logUs) / 1000 / this.speed;
  }
}
