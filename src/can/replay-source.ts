import { createReadStream } from 'node:fs';
import { systemClock, type Clock } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { FrameSink, FrameSource } from './can-frame.js';
import { MalformedLineReporter, readCandump } from './candump-reader.js';

export interface ReplayOptions {
  /** Playback speed as a multiple of real time; 0 replays as fast as possible. */
  speed?: number;
  /** Start again at the end, with timestamps that keep increasing. */
  loop?: boolean;
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

/** Replays a can-utils `candump -L` log, paced in real time × speed or as fast as possible. */
export class ReplaySource implements FrameSource {
  readonly description: string;
  readonly timeScale: number;
  readonly stats: ReplayStats = { frames: 0, passes: 0 };
  /** Lines that are not candump -L frames, counted over all passes. */
  readonly malformed: MalformedLineReporter;
  private readonly speed: number;
  private readonly loop: boolean;
  private readonly clock: Clock;
  private readonly log: Logger;
  private abort = new AbortController();
  /** Wall time and log time of the first frame: the anchor of real-time pacing. */
  private origin: { wallMs: number; logUs: number } | undefined;

  constructor(
    private readonly path: string,
    options: ReplayOptions = {},
  ) {
    this.speed = options.speed ?? 1;
    if (!(this.speed >= 0) || !Number.isFinite(this.speed)) throw new RangeError(`replay speed must be a finite number ≥ 0, got ${this.speed}`);
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
    const signal = this.abort.signal;
    let shiftUs = 0;
    do {
      const span = await this.playOnce(signal, shiftUs, sink);
      if (span === undefined || signal.aborted) break;
      this.stats.passes++;
      shiftUs += span.lastUs - span.firstUs + LOOP_GAP_US;
    } while (this.loop && !signal.aborted);
  }

  stop(): Promise<void> {
    this.abort.abort();
    return Promise.resolve();
  }

  /** Plays the file once with timestamps moved by `shiftUs`; returns the span it covered. */
  private playOnce(signal: AbortSignal, shiftUs: number, sink: FrameSink): Promise<{ firstUs: number; lastUs: number } | undefined> {
    return readCandump(createReadStream(this.path), this.malformed, async (frame) => {
      const timeUs = frame.timeUs + shiftUs;
      await this.waitUntilDue(timeUs, signal);
      if (signal.aborted) return;
      this.stats.frames++;
      sink(shiftUs === 0 ? frame : { ...frame, timeUs });
    }, signal);
  }

  /** Holds a frame back until its log time, scaled by speed, has passed on the clock. */
  private async waitUntilDue(timeUs: number, signal: AbortSignal): Promise<void> {
    if (this.speed === 0) return;
    if (this.origin === undefined) {
      this.origin = { wallMs: this.clock.now(), logUs: timeUs };
      return;
    }
    const dueMs = this.origin.wallMs + (timeUs - this.origin.logUs) / 1000 / this.speed;
    if (dueMs > this.clock.now()) await this.clock.sleepUntil(dueMs, signal);
  }

}
