import type { KernelError } from '../backend/addon-persona.js';
import { loadNativeAddon } from '../common/native-addon.js';
import type { CanFrame } from './can-frame.js';

/**
 * A raw CAN socket of persona's addon (native/src/can-socket.cc), bound to one interface and
 * read in batches: each wake-up hands every frame the kernel queued to the callback at once,
 * packed as records of CAN_RECORD_SIZE bytes. After a wake-up that found frames the addon
 * waits `holdMs` before it reads again, so a busy bus wakes Node once per `holdMs`. A failed
 * receive (the interface went down or away) calls back once with the error; nothing comes
 * after it. `close()` closes the socket; it is idempotent.
 */
export interface CanSocket {
  close(): void;
}

export type CanSocketCallback = (error: KernelError | null, records?: Buffer) => void;

/**
 * Opens a socket on `iface`: `filters` are kernel filters as id, mask pairs (null: every
 * frame). Throws a KernelError naming the interface when it cannot (ENODEV: no such interface,
 * EAFNOSUPPORT: no SocketCAN in this kernel).
 */
export type CanSocketOpener = (iface: string, filters: Uint32Array | null, holdMs: number, callback: CanSocketCallback) => CanSocket;

/**
 * The record of one frame, little-endian: can_id as the kernel has it (flags included) at 0,
 * the payload length at 4, flags at 5 (CAN FD; the time is the kernel's), the CAN FD flags at
 * 6, the receive time's seconds (64 bits) at 8 and nanoseconds at 16, the frames the socket
 * dropped so far at 20 (its buffer full), the payload at 24.
 */
export const CAN_RECORD_SIZE = 88;
export const CAN_RECORD_DROPS_OFFSET = 20;
export const CAN_RECORD_DATA_OFFSET = 24;
export const CAN_RECORD_FD = 1;
export const CAN_RECORD_KERNEL_TIME = 2;

/** linux/can.h */
export const CAN_EFF_FLAG = 0x80000000;
export const CAN_RTR_FLAG = 0x40000000;
export const CAN_ERR_FLAG = 0x20000000;
export const CAN_SFF_MASK = 0x7ff;
export const CAN_EFF_MASK = 0x1fffffff;

interface CanSocketAddon {
  CanSocket: { new (iface: string, filters: Uint32Array | null, holdMs: number, callback: CanSocketCallback): CanSocket; readonly recordSize: number };
}

/** Opens a socket through persona's addon. */
export const openCanSocket: CanSocketOpener = (iface, filters, holdMs, callback) => {
  const addon = loadNativeAddon<CanSocketAddon>();
  if (addon.CanSocket.recordSize !== CAN_RECORD_SIZE) throw new Error(`the addon's CAN records are ${addon.CanSocket.recordSize} bytes, not ${CAN_RECORD_SIZE}: rebuild it (npm ci)`);
  return new addon.CanSocket(iface, filters, holdMs, callback);
};

/**
 * The frames of a batch of records, in the order received. An error frame is not a frame of
 * the bus: `onErrorFrame` gets its error class (the id without flags) instead, and returning
 * true stops decoding there, leaving out the records after it.
 */
export function decodeCanRecords(records: Buffer, iface: string, onErrorFrame: (errorClass: number) => boolean): CanFrame[] {
  const count = Math.floor(records.length / CAN_RECORD_SIZE);
  const frames: CanFrame[] = [];
  for (let i = 0, at = 0; i < count; i++, at += CAN_RECORD_SIZE) {
    const rawId = records.readUInt32LE(at);
    if ((rawId & CAN_ERR_FLAG) !== 0) {
      if (onErrorFrame(rawId & CAN_EFF_MASK)) break;
      continue;
    }
    const extended = (rawId & CAN_EFF_FLAG) !== 0;
    const seconds = records.readUInt32LE(at + 8) + records.readUInt32LE(at + 12) * 0x1_0000_0000;
    const data = at + CAN_RECORD_DATA_OFFSET;
    frames.push({
      timeUs: seconds * 1_000_000 + Math.floor(records.readUInt32LE(at + 16) / 1000),
      iface,
      id: extended ? rawId & CAN_EFF_MASK : rawId & CAN_SFF_MASK,
      extended,
      fd: (records[at + 5]! & CAN_RECORD_FD) !== 0,
      remote: (rawId & CAN_RTR_FLAG) !== 0,
      error: false,
      // A view into the batch's one Buffer: no copy per frame.
      data: records.subarray(data, data + records[at + 4]!),
    });
  }
  return frames;
}

/**
 * Frames the socket had dropped, its receive buffer full, by the last record of a batch: the
 * kernel counts them from the socket's opening on.
 */
export function socketDrops(records: Buffer): number {
  const count = Math.floor(records.length / CAN_RECORD_SIZE);
  return count === 0 ? 0 : records.readUInt32LE((count - 1) * CAN_RECORD_SIZE + CAN_RECORD_DROPS_OFFSET);
}
