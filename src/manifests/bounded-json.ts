import { ManifestError } from './manifest-error.js';

/** Larger than any real personality or trust root by far, small enough that a stray file costs nothing. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** Our documents nest four levels at most; anything deeper is not one of them. */
export const MAX_DEPTH = 16;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses untrusted JSON with its cost bounded before any allocation in proportion
 * to it: the size is checked first, then the nesting depth by one pass over the
 * bytes, and only then is the text decoded (invalid UTF-8 is an error, never
 * replaced) and parsed.
 * @throws ManifestError E_SIZE, E_DEPTH or E_JSON, for the document as a whole
 */
export function parseBoundedJson(bytes: Uint8Array, file: string): unknown {
  checkSize(bytes.byteLength, file);
  checkDepth(bytes, file);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new ManifestError('E_JSON', file, text, undefined, { cause: error });
  }
}

/** @throws ManifestError E_SIZE when `byteLength` exceeds MAX_DOCUMENT_BYTES */
export function checkSize(byteLength: number, file: string): void {
  if (byteLength > MAX_DOCUMENT_BYTES) {
    throw new ManifestError('E_SIZE', file, `${byteLength} bytes exceeds the limit of ${MAX_DOCUMENT_BYTES}`);
  }
}

/**
 * Brackets inside strings do not count; malformed JSON is left to the parser, this
 * pass only has to be right for input the parser would accept.
 */
function checkDepth(bytes: Uint8Array, file: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > MAX_DEPTH) {
        throw new ManifestError('E_DEPTH', file, `nested deeper than ${MAX_DEPTH} levels at byte ${i}`);
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}
