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

/** Receives frames from a source in capture order. */
export type FrameSink = (frame: CanFrame) => void;

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
