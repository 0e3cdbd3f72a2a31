import type { CanFrame } from './can-frame.js';

/** Thrown for a line that is not in can-utils' `candump -L` log format. */
export class CandumpFormatError extends Error {
  readonly code = 'E_CANDUMP';
}

const LINE = /^\((\d+)\.(\d{6}|\d{9})\)\s+(\S+)\s+([0-9A-Fa-f]+)(##?)(\S*)$/;
/** CAN_ERR_FLAG in the id field of an error frame, as candump writes it. */
const ERROR_FLAG = 0x20000000;

/** The value of one hex digit's character code, or -1. */
function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** The bytes of `hex` from `from` on, read from the character codes (no substring per byte); undefined when not hex pairs. */
function hexBytes(hex: string, from: number): Uint8Array | undefined {
  if ((hex.length - from) % 2 !== 0) return undefined;
  const out = new Uint8Array((hex.length - from) / 2);
  for (let i = 0; i < out.length; i++) {
    const high = nibble(hex.charCodeAt(from + 2 * i));
    const low = nibble(hex.charCodeAt(from + 2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    out[i] = (high << 4) | low;
  }
  return out;
}

/**
 * Parses one `candump -L` line: `(1700000000.123456) vcan0 123#DEADBEEF`.
 * Classic (`#`), FD (`##<flags>`), remote (`#R[len]`), 29-bit ids (8 hex digits)
 * and error frames (id with CAN_ERR_FLAG) are understood. The timestamp is moved by
 * `timeShiftUs` (the later passes of a looping replay), so no frame is copied for it.
 */
export function parseCandumpLine(line: string, timeShiftUs = 0): CanFrame {
  const m = LINE.exec(line.trim());
  if (!m) throw new CandumpFormatError(`expected "(seconds.micros) iface id#data", got "${line.trim().slice(0, 80)}"`);
  const [, secs, frac, iface, idHex, sep, rest] = m as unknown as [string, string, string, string, string, string, string];
  const timeUs = Number(secs) * 1e6 + Math.floor(Number(frac) / (frac.length === 9 ? 1000 : 1)) + timeShiftUs;
  if (idHex.length !== 3 && idHex.length !== 8) {
    throw new CandumpFormatError(`id "${idHex}" must have 3 (standard) or 8 (extended) hex digits`);
  }
  const extended = idHex.length === 8;
  const rawId = parseInt(idHex, 16);
  const error = extended && (rawId & ERROR_FLAG) !== 0;
  const id = extended ? rawId & 0x1fffffff : rawId;
  if (!extended && id > 0x7ff) throw new CandumpFormatError(`standard id ${idHex} exceeds 0x7FF`);
  const fd = sep === '##';
  // Where the payload's hex digits start in `rest`: after an FD frame's flags digit.
  let from = 0;
  let remote = false;
  if (fd) {
    if (rest.length === 0 || nibble(rest.charCodeAt(0)) < 0) throw new CandumpFormatError('CAN FD frame lacks its flags digit after "##"');
    from = 1;
  } else if (/^R\d?$/.test(rest)) {
    remote = true;
    from = rest.length;
  }
  const data = hexBytes(rest, from);
  if (data === undefined) throw new CandumpFormatError(`payload "${rest.slice(from)}" is not an even number of hex digits`);
  if (data.length > (fd ? 64 : 8)) throw new CandumpFormatError(`payload of ${data.length} bytes is too long for ${fd ? 'CAN FD' : 'classic CAN'}`);
  return { timeUs, iface, id, extended, fd, remote, error, data };
}

/** Formats a frame back into a `candump -L` line (the inverse of parseCandumpLine). */
export function formatCandumpLine(frame: CanFrame): string {
  const secs = Math.floor(frame.timeUs / 1e6);
  const micros = String(frame.timeUs - secs * 1e6).padStart(6, '0');
  const idHex = frame.extended
    ? ((frame.id | (frame.error ? ERROR_FLAG : 0)) >>> 0).toString(16).toUpperCase().padStart(8, '0')
    : frame.id.toString(16).toUpperCase().padStart(3, '0');
  let data = '';
  for (const b of frame.data) data += b.toString(16).toUpperCase().padStart(2, '0');
  const body = frame.fd ? `##0${data}` : frame.remote ? '#R' : `#${data}`;
  return `(${secs}.${micros}) ${frame.iface} ${idHex}${body}`;
}
