import type { Readable } from 'node:stream';
import { silentLogger, type Logger } from '../common/logger.js';
import { deliverBatch, type CanFrame, type FrameSink, type FrameSource } from './can-frame.js';
import { MalformedLineReporter, readCandump } from './candump-reader.js';

/**
 * Frames as `candump -L` prints them, from a stream: `candump -L vcan0 | persona run --can -`.
 * Frames are delivered as they arrive, with the timestamps candump gave them: the frames of
 * one read from the stream as one batch.
 */
export class StdinSource implements FrameSource {
  readonly description = 'stdin';
  readonly timeScale = 1;
  frames = 0;
  readonly malformed: MalformedLineReporter;
  private readonly abort = new AbortController();

  constructor(
    private readonly input: Readable = process.stdin,
    logger: Logger = silentLogger,
  ) {
    this.malformed = new MalformedLineReporter('stdin', logger);
  }

  async start(sink: FrameSink): Promise<void> {
    const signal = this.abort.signal;
    const stopped = (): boolean => signal.aborted;
    await readCandump(this.input, this.malformed, (frames) => {
      const batch: CanFrame[] = [];
      for (let frame = frames.next(); frame !== undefined; frame = frames.next()) batch.push(frame);
      if (batch.length > 0) this.frames += deliverBatch(sink, batch, stopped);
    }, signal);
  }

  stop(): Promise<void> {
    this.abort.abort();
    // Unblocks the pending read so start() resolves even if no more input comes.
    this.input.destroy();
    return Promise.resolve();
  }
}
