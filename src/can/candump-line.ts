import type { CanFrame } from './can-frame.js';

/** Thrown for a line that is not in can-utils' `candump -L` log format. */
export class CandumpFormatError extends Error {
  readonly code = 'E_CANDUMP';
}

const LINE = /^\((\d+)\.(\d{6}|\d{9})\)\s+(\S+)\s+([0-9A-Fa-f]+)(##?)(\S*)$/;
const HEX = /^(?:[0-9A-Fa-f]{2})*$/;
/** CAN_ERR_FLAG in the id field of an error frame, as candump writes it. */
const ERROR_FLAG = 0x20000000;

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Parses one `candump -L` line: `(1700000000.123456) vcan0 123#DEADBEEF`.
 * Classic (`#`), FD (`##<flags>`), remote (`#R[len]`), 29-bit ids (8 hex digits)
 * and error frames (id with CAN_ERR_FLAG) are understood.
 */
export function parseCandumpLine(line: string): CanFrame {
  const m = LINE.exec(line.trim());
  if (!m) throw new CandumpFormatError(`expected "(seconds.micros) iface id#data", got "${line.trim().slice(0, 80)}"`);
  const [, secs, frac, iface, idHex, sep, rest] = m as unknown as [string, string, string, string, string, string, string];
  const timeUs = Number(secs) * 1e6 + Math.floor(Number(frac) / (frac.length === 9 ? 1000 : 1));
  if (idHex.length !== 3 && idHex.length !== 8) {
    throw new CandumpFormatError(`id "${idHex}" must have 3 (standard) or 8 (extended) hex digits`);
  }
  const extended = idHex.length === 8;
  const rawId = parseInt(idHex, 16);
  const error = extended && (rawId & ERROR_FLAG) !== 0;
  const id = extended ? rawId & 0x1fffffff : rawId;
  if (!extended && id > 0x7ff) throw new CandumpFormatError(`standard id ${idHex} exceeds 0x7FF`);
  const fd = sep === '##';
  let payload = rest;
  let remote = false;
  if (fd) {
    if (!/^[0-9A-Fa-f]/.test(payload)) throw new CandumpFormatError('CAN FD frame lacks its flags digit after "##"');
    payload = payload.slice(1);
  } else if (/^R\d?$/.test(payload)) {
    remote = true;
    payload = '';
  }
  if (!HEX.test(payload)) throw new CandumpFormatError(`payload "${payload}" is not an even number of hex digits`);
  const data = hexBytes(payload);
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
