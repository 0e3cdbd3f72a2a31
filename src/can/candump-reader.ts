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
 * Reads `candump -L` lines from a stream and hands the frames of each chunk read to
 * `onFrames` at once, awaiting it (so a caller can pace): one wake-up and one promise per
 * chunk, not per line. Malformed lines go to `malformed` and reading goes on. Returns the
 * first and last timestamps seen, or undefined for an input without frames.
 */
export async function readCandump(
  input: Readable,
  malformed: MalformedLineReporter,
  onFrames: (frames: CanFrame[]) => Promise<void> | void,
  signal: AbortSignal,
  options: CandumpReadOptions = {},
): Promise<{ firstUs: number; lastUs: number } | undefined> {
  const shiftUs = options.timeShiftUs ?? 0;
  const decoder = new StringDecoder('utf8');
  let span: { firstUs: number; lastUs: number } | undefined;
  let lineNo = 0;
  let partial = '';
  const parse = (text: string, frames: CanFrame[]): void => {
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) {
      lineNo++;
      const line = text.slice(start, end);
      let frame: CanFrame;
      try {
        // Blank lines, and the \r of CRLF endings, are whitespace the parser trims.
        if (line.trim() === '') continue;
        frame = parseCandumpLine(line, shiftUs);
      } catch (err) {
        malformed.report(lineNo, err as Error);
        continue;
      }
      span ??= { firstUs: frame.timeUs, lastUs: frame.timeUs };
      span.lastUs = frame.timeUs;
      frames.push(frame);
    }
    partial = text.slice(start);
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      if (signal.aborted) break;
      const frames: CanFrame[] = [];
      parse(partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk)), frames);
      if (frames.length > 0) await onFrames(frames);
    }
    if (!signal.aborted) {
      // The last line may lack its newline.
      const rest = partial + decoder.end();
      const frames: CanFrame[] = [];
      if (rest !== '') parse(rest + '\n', frames);
      if (frames.length > 0) await onFrames(frames);
    }
  } catch (err) {
    // Stopping a source destroys its stream under the reader: that is the end, not an error.
    if (!signal.aborted) throw err;
  }
  return span;
}
