import { CAN_EFF_FLAG, CAN_ERR_FLAG, CAN_RECORD_DATA_OFFSET, CAN_RECORD_DROPS_OFFSET, CAN_RECORD_FD, CAN_RECORD_KERNEL_TIME, CAN_RECORD_SIZE, CAN_RTR_FLAG } from '../../src/can/can-socket.js';

/** A received frame as a test writes it; packCanRecords lays it out as the addon does. */
export interface RecordSpec {
  id: number;
  extended?: boolean;
  remote?: boolean;
  /** An error frame: `id` is its error class. */
  error?: boolean;
  fd?: boolean;
  data?: readonly number[];
  /** Receive time in nanoseconds since the epoch. */
  timeNs?: bigint;
  /** Frames the socket dropped so far. */
  drops?: number;
}

/** The records of native/src/can-socket.h, as one wake-up of the addon hands them over. */
export function packCanRecords(specs: readonly RecordSpec[]): Buffer {
  const records = Buffer.alloc(specs.length * CAN_RECORD_SIZE);
  specs.forEach((s, i) => {
    const at = i * CAN_RECORD_SIZE;
    const flags = (s.extended ? CAN_EFF_FLAG : 0) | (s.remote ? CAN_RTR_FLAG : 0) | (s.error ? CAN_ERR_FLAG : 0);
    records.writeUInt32LE((s.id | flags) >>> 0, at);
    const data = s.data ?? [];
    records[at + 4] = data.length;
    records[at + 5] = (s.fd ? CAN_RECORD_FD : 0) | CAN_RECORD_KERNEL_TIME;
    const ns = s.timeNs ?? 1_700_000_000_000_000_000n;
    const seconds = ns / 1_000_000_000n;
    records.writeBigUInt64LE(seconds, at + 8);
    records.writeUInt32LE(Number(ns - seconds * 1_000_000_000n), at + 16);
    records.writeUInt32LE(s.drops ?? 0, at + CAN_RECORD_DROPS_OFFSET);
    Buffer.from(data).copy(records, at + CAN_RECORD_DATA_OFFSET);
  });
  return records;
}
