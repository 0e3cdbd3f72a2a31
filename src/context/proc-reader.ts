import { closeSync, openSync, readSync } from 'node:fs';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Room for a typical /proc/diskstats or /proc/net/dev; grows when a file is bigger. */
const INITIAL_BUFFER_BYTES = 16 * 1024;

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB;
}

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** `text` as the bytes a /proc file holds, for comparing without decoding the file. */
export function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/**
 * Reads small /proc files into one reusable buffer and walks them line by line and field by
 * field, so that a sample allocates no file contents and no arrays of lines or fields.
 * Malformed input throws an Error naming the file, the line and the field.
 */
export class ProcReader {
  private buffer = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  private length = 0;
  /** Cursor within the current line. */
  private pos = 0;
  private lineEnd = -1;
  private path = '';
  /** 1-based; 0 before the first line. */
  private lineNumber = 0;

  /**
   * Reads the whole of `path`. Returns the error when it cannot be opened or read (ENOENT, EACCES,
   * EOPNOTSUPP from a disabled PSI file…) so that the caller decides whether that is fatal.
   */
  load(path: string): NodeJS.ErrnoException | undefined {
    this.path = path;
    this.length = 0;
    this.pos = 0;
    this.lineEnd = -1;
    this.lineNumber = 0;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if (isErrnoException(error)) return error;
      throw error;
    }
    try {
      // /proc files report size 0, so read until end of file rather than trusting fstat.
      for (;;) {
        if (this.length === this.buffer.length) {
          const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(bigger, 0, 0, this.length);
          this.buffer = bigger;
        }
        const count = readSync(fd, this.buffer, this.length, this.buffer.length - this.length, null);
        if (count === 0) return undefined;
        this.length += count;
      }
    } catch (error) {
      if (isErrnoException(error)) return error;
      throw error;
    } finally {
      closeSync(fd);
    }
  }

  /** Moves to the next line; false at the end of the file. */
  nextLine(): boolean {
    const start = this.lineEnd + 1;
    if (start >= this.length) return false;
    const newline = this.buffer.indexOf(NEWLINE, start);
    // Bytes past `length` are left over from a bigger file read earlier.
    this.lineEnd = newline === -1 || newline > this.length ? this.length : newline;
    this.pos = start;
    this.lineNumber++;
    return true;
  }

  /** Consumes `prefix` if the line continues with it (after any blanks). */
  accept(prefix: Uint8Array): boolean {
    this.skipBlanks();
    if (this.pos + prefix.length > this.lineEnd) return false;
    for (let i = 0; i < prefix.length; i++) if (this.buffer[this.pos + i] !== prefix[i]) return false;
    this.pos += prefix.length;
    return true;
  }

  /** Whether the cursor is on a digit, without skipping blanks. */
  atDigit(): boolean {
    return this.pos < this.lineEnd && isDigit(this.buffer[this.pos]!);
  }

  /** Consumes `prefix` or throws naming `what` was expected. */
  expect(prefix: Uint8Array, what: string): void {
    if (!this.accept(prefix)) this.fail(`expected ${what}, found ${this.foundToken()}`);
  }

  /** The next blank-separated word, ending early at `delimiter` (which is consumed). */
  word(what: string, delimiter = -1): string {
    this.skipBlanks();
    const start = this.pos;
    while (this.pos < this.lineEnd && !isBlank(this.buffer[this.pos]!) && this.buffer[this.pos] !== delimiter) this.pos++;
    if (this.pos === start) this.fail(`expected ${what}, found ${this.foundToken()}`);
    const text = this.buffer.toString('latin1', start, this.pos);
    if (delimiter !== -1) {
      if (this.pos === this.lineEnd || this.buffer[this.pos] !== delimiter) {
        this.fail(`expected '${String.fromCharCode(delimiter)}' after ${what} '${text}'`);
      }
      this.pos++;
    }
    return text;
  }

  /** The next field as an unsigned decimal integer. */
  unsigned(what: string): number {
    this.skipBlanks();
    const start = this.pos;
    let value = 0;
    while (this.pos < this.lineEnd && isDigit(this.buffer[this.pos]!)) value = value * 10 + this.buffer[this.pos++]! - ZERO;
    if (this.pos === start || !this.atFieldEnd()) this.fail(`${what}: expected an unsigned integer, found ${this.foundToken(start)}`);
    return value;
  }

  /**
   * The next field as an unsigned decimal fraction such as `12.34`. Dividing the digits, read as
   * one integer, by a power of ten rounds once, so the result equals Number('12.34') exactly.
   */
  decimal(what: string): number {
    this.skipBlanks();
    const start = this.pos;
    let digits = 0;
    let scale = 1;
    let seenDot = false;
    for (; this.pos < this.lineEnd; this.pos++) {
      const byte = this.buffer[this.pos]!;
      if (isDigit(byte)) {
        digits = digits * 10 + byte - ZERO;
        if (seenDot) scale *= 10;
      } else if (byte === DOT && !seenDot) {
        seenDot = true;
      } else {
        break;
      }
    }
    const digitCount = this.pos - start - (seenDot ? 1 : 0);
    if (digitCount === 0 || !this.atFieldEnd()) this.fail(`${what}: expected a decimal number, found ${this.foundToken(start)}`);
    return digits / scale;
  }

  /** Throws an Error naming the file and the current line. */
  fail(message: string): never {
    throw new Error(`${this.path}:${this.lineNumber}: ${message}`);
  }

  /** Throws an Error naming the file, for what is wrong with it as a whole (a line that is missing). */
  failFile(message: string): never {
    throw new Error(`${this.path}: ${message}`);
  }

  private skipBlanks(): void {
    while (this.pos < this.lineEnd && isBlank(this.buffer[this.pos]!)) this.pos++;
  }

  private atFieldEnd(): boolean {
    return this.pos === this.lineEnd || isBlank(this.buffer[this.pos]!);
  }

  /** The word at `start` quoted, or "end of line": what an error message shows was found instead. */
  private foundToken(start = this.pos): string {
    let end = start;
    while (end < this.lineEnd && !isBlank(this.buffer[end]!)) end++;
    return end === start ? 'end of line' : `'${this.buffer.toString('latin1', start, end)}'`;
  }
}
