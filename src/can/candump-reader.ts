import { createInterface } from 'node:readline';
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

/**
 * Reads `candump -L` lines from a stream and hands each frame to `onFrame`, awaiting it
 * (so a caller can pace). Malformed lines go to `malformed` and reading goes on.
 * Returns the first and last timestamps seen, or undefined for an input without frames.
 */
export async function readCandump(
  input: Readable,
  malformed: MalformedLineReporter,
  onFrame: (frame: CanFrame) => Promise<void> | void,
  signal: AbortSignal,
): Promise<{ firstUs: number; lastUs: number } | undefined> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let span: { firstUs: number; lastUs: number } | undefined;
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (signal.aborted) break;
      if (line.trim() === '') continue;
      let frame: CanFrame;
      try {
        frame = parseCandumpLine(line);
      } catch (err) {
        malformed.report(lineNo, err as Error);
        continue;
      }
      span ??= { firstUs: frame.timeUs, lastUs: frame.timeUs };
      span.lastUs = frame.timeUs;
      await onFrame(frame);
    }
  } finally {
    lines.close();
  }
  return span;
}
