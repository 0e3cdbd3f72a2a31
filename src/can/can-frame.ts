/** One CAN or CAN FD frame as persona sees it, whatever the source. */
export interface CanFrame {
  /** Capture time in microseconds since the Unix epoch (integer). */
  readonly timeUs: number;
  /** Interface the frame came from (`vcan0`, `can1`, …). */
  readonly iface: string;
  /** Arbitration id without flag bits. */
  readonly id: number;
  /** 29-bit identifier. */
  readonly extended: boolean;
  /** CAN FD frame (payload up to 64 bytes). */
  readonly fd: boolean;
  /** Remote transmission request: no payload. */
  readonly remote: boolean;
  /** Error frame reported by the controller. */
  readonly error: boolean;
  readonly data: Uint8Array;
}

/**
 * The longest stretch of CAN time a batching source gathers into one batch unless told less:
 * ten milliseconds, half the period of a message sent every 20 ms. A wake-up costs more than
 * the frames of such a window at 2,000 frames/s, so windows are as long as the signals allow.
 */
export const DEFAULT_BATCH_WINDOW_MS = 10;

/** Frames a source hands over at one wake-up, in capture order, each with its own timestamp. */
export type FrameBatch = readonly CanFrame[];

/**
 * Receives frames from a source in capture order. A source that wakes up once for several
 * frames hands them all over at that wake-up: to `batch` in one call when the sink has it,
 * else to the sink itself frame by frame.
 */
export interface FrameSink {
  (frame: CanFrame): void;
  batch?(frames: FrameBatch): void;
}

/**
 * Hands `frames` to `sink` at once: in one call when it takes batches, else frame by frame
 * until `stopped` says a frame stopped the source. Returns how many frames it handed over.
 */
export function deliverBatch(sink: FrameSink, frames: FrameBatch, stopped: () => boolean): number {
  if (sink.batch) {
    sink.batch(frames);
    return frames.length;
  }
  let delivered = 0;
  for (const frame of frames) {
    if (stopped()) break;
    sink(frame);
    delivered++;
  }
  return delivered;
}

/** A producer of CAN frames: a replayed log, a live interface, standard input. */
export interface FrameSource {
  /** A short description for logs and status (`replay:vehicles/demo/drive.log`). */
  readonly description: string;
  /**
   * How fast CAN time runs against the clock: 1 for live sources, the speed of a paced
   * replay, 0 for a replay as fast as possible (when there is no "meanwhile").
   */
  readonly timeScale: number;
  /**
   * CAN time now, for a live source whose frames carry the wall clock: lets a bus that is
   * silent from the start be noticed. Replays cannot know it before their first frame.
   */
  nowUs?(): number;
  /** Starts delivering frames to `sink`; resolves when the source is exhausted or stopped. */
  start(sink: FrameSink): Promise<void>;
  /** Stops delivery; no frame reaches the sink after this resolves. */
  stop(): Promise<void>;
  /**
   * Live sources say when they cannot deliver (an interface down, bus-off): `problem` is why,
   * undefined once frames flow again.
   */
  onHealth?(listener: (problem: string | undefined) => void): void;
}
