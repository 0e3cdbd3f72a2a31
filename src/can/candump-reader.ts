import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { Logger } from '../common/logger.js';
import type { CanFrame } from './can-frame.js';
import { parseCandumpLine } from './candump-line.js';

/** Malformed lines logged one by one before the rest are only counted. */
const MALFORMED_LOG_LIMIT = 10;

/** Counts and logs malformed lines of one input, with their line numbers, without flooding the log. */
export class MalformedLineReporter {
  count = 0;
  constructor(
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  report(lineNo: number, err: Error): void {
    this.count++;
    if (this.count <= MALFORMED_LOG_LIMIT) this.log.warn(`${this.name}:${lineNo}: ${err.message}`);
    else if (this.count === MALFORMED_LOG_LIMIT + 1) this.log.warn(`${this.name}: more malformed lines; counting them silently`);
  }
}

export interface CandumpReadOptions {
  /** Moves every timestamp by this much (the later passes of a looping replay). */
  timeShiftUs?: number;
}

/**
 * The frames of the `candump -L` text read so far, parsed one at a time as they are asked for:
 * a frame lives from its batch to the end of the batch, not for as long as its chunk of text
 * takes to play, and so dies young. Malformed lines go to `malformed` and reading goes on.
 */
export class CandumpCursor {
  /** First and last timestamps seen; undefined before the first frame. */
  span: { firstUs: number; lastUs: number } | undefined;
  private text = '';
  private start = 0;
  private lineNo = 0;

  constructor(
    private readonly malformed: MalformedLineReporter,
    private readonly shiftUs: number,
  ) {}

  /** Adds text read; what follows the last newline waits for the rest of its line. */
  feed(text: string): void {
    this.text = this.text.slice(this.start) + text;
    this.start = 0;
  }

  /** Whether text without its newline waits. */
  get pending(): boolean {
    return this.start < this.text.length;
  }

  /** The next frame of the complete lines fed, or undefined when they are used up. */
  next(): CanFrame | undefined {
    for (let end = this.text.indexOf('\n', this.start); end >= 0; end = this.text.indexOf('\n', this.start)) {
      const line = this.text.slice(this.start, end);
      this.start = end + 1;
      this.lineNo++;
      // Blank lines, and the \r of CRLF endings, are whitespace the parser trims.
      if (line.trim() === '') continue;
      let frame: CanFrame;
      try {
        frame = parseCandumpLine(line, this.shiftUs);
      } catch (err) {
        this.malformed.report(this.lineNo, err as Error);
        continue;
      }
      this.span ??= { firstUs: frame.timeUs, lastUs: frame.timeUs };
      this.span.lastUs = frame.timeUs;
      return frame;
    }
    return undefined;
  }
}

/**
 * Reads `candump -L` lines from a stream and hands `onChunk` the frames of each chunk read,
 * through a cursor it takes them from until it returns undefined, awaiting it (so a caller can
 * pace): one wake-up and one promise per chunk, not per line. Returns the first and last
 * timestamps seen, or undefined for an input without frames.
 */
export async function readCandump(
  input: Readable,
  malformed: MalformedLineReporter,
  onChunk: (frames: CandumpCursor) => Promise<void> | void,
  signal: AbortSignal,
  options: CandumpReadOptions = {},
): Promise<{ firstUs: number; lastUs: number } | undefined> {
  const decoder = new StringDecoder('utf8');
  const frames = new CandumpCursor(malformed, options.timeShiftUs ?? 0);
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      if (signal.aborted) break;
      frames.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      await onChunk(frames);
    }
    if (!signal.aborted) {
      frames.feed(decoder.end());
      // The last line may lack its newline.
      if (frames.pending) {
        frames.feed('\n');
        await onChunk(frames);
      }
    }
  } catch (err) {
    // Stopping a source destroys its stream under the reader: that is the end, not an error.
    if (!signal.aborted) throw err;
  }
  return frames.span;
}
