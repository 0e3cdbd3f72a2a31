import type { CanFrame, FrameBatch, FrameSink, FrameSource } from '../can/can-frame.js';
import type { Clock } from '../common/clock.js';
import { REQUIRED_SIGNALS } from '../context/driving-features.js';
import type { SignalDecoder } from '../signals/signal-decoder.js';

/** What the intake needs of the pipeline's stages. */
export interface FrameIntakeStages {
  readonly decoder: Pick<SignalDecoder, 'accept' | 'shortestMaxAgeMs'>;
  readonly clock: Clock;
  readonly sampleIntervalMs: number;
  /** Its timeScale: CAN time per wall-clock time; 0 for a replay as fast as possible. */
  readonly source: Pick<FrameSource, 'timeScale'>;
}

/** What the intake asks of the daemon. */
export interface FrameIntakeSteps {
  /** Sample the signals at `timeUs` of CAN time. */
  sample(timeUs: number): void;
  /** An idle tick that took no sample: holds still end on the wall clock. */
  quiet(): void;
}

/**
 * Frames in, samples out. Each frame goes to the decoder; the first at or past the next sample
 * time takes a sample. While frames stop, an idle tick samples at the CAN time that goes on
 * from the last frame at the source's pace, so that a silent bus is noticed. Time is CAN time:
 * a replay as fast as possible takes exactly the samples a real-time one takes.
 */
export class FrameIntake {
  private nextSampleUs: number | undefined;
  /**
   * Where CAN time and the clock were last seen together: the last frame, or a live source's
   * start; undefined before either. Two numbers, so that no frame allocates: the time is set
   * by each frame, the clock read once per delivery (a batch is handed over at one instant).
   */
  private anchorTimeUs: number | undefined;
  private anchorClockMs = 0;
  private lastIdleTickMs: number | undefined;
  private lastSampleClockMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stages: FrameIntakeStages,
    private readonly steps: FrameIntakeSteps,
  ) {}

  /**
   * Takes frames from the source: a batch (every frame one wake-up found due) or a frame
   * alone, through the same per-frame path; the clock is read once per delivery.
   */
  readonly sink: FrameSink = Object.assign(
    (frame: CanFrame): void => {
      this.anchorClockMs = this.stages.clock.now();
      this.onFrame(frame);
    },
    {
      batch: (frames: FrameBatch): void => {
        this.anchorClockMs = this.stages.clock.now();
        for (const frame of frames) this.onFrame(frame);
      },
    },
  );

  /** A live source's CAN time at its start, before any frame. */
  anchor(timeUs: number): void {
    this.anchorTimeUs = timeUs;
    this.anchorClockMs = this.stages.clock.now();
  }

  /** CAN time of the last frame (or the start's); undefined before either. */
  get lastTimeUs(): number | undefined {
    return this.anchorTimeUs;
  }

  /**
   * How often to look for silence: often enough that a required signal is found stale
   * within twice its maximum age, and at least once per sample interval.
   */
  idleTickMs(): number {
    const shortest = this.stages.decoder.shortestMaxAgeMs(REQUIRED_SIGNALS) ?? this.stages.sampleIntervalMs;
    return Math.min(this.stages.sampleIntervalMs, shortest);
  }

  /**
   * Samples when frames have stopped: CAN time goes on from the last frame at the source's pace.
   * A tick that comes late found the event loop stalled (GC, a slow apply): frames that arrived
   * meanwhile are read only after the timers run, so that tick would take them for silence and
   * it waits for the next.
   */
  idleTick(): void {
    const now = this.stages.clock.now();
    const interval = this.idleTickMs();
    const late = this.lastIdleTickMs !== undefined && now - this.lastIdleTickMs > 2 * interval;
    this.lastIdleTickMs = now;
    if (late || this.anchorTimeUs === undefined || now - this.lastSampleClockMs < interval) return this.steps.quiet();
    this.sample(this.anchorTimeUs + (now - this.anchorClockMs) * 1000 * this.stages.source.timeScale);
  }

  /** Decodes one frame, and samples when it is the first at or past the next sample time. */
  private onFrame(frame: CanFrame): void {
    this.stages.decoder.accept(frame);
    this.anchorTimeUs = frame.timeUs;
    this.nextSampleUs ??= frame.timeUs;
    if (frame.timeUs < this.nextSampleUs) return;
    while (this.nextSampleUs <= frame.timeUs) this.nextSampleUs += this.stages.sampleIntervalMs * 1000;
    this.sample(frame.timeUs);
  }

  private sample(timeUs: number): void {
    this.lastSampleClockMs = this.stages.clock.now();
    this.steps.sample(timeUs);
  }
}
