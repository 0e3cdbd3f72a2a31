import t from 'tap';
import { CAN_RECORD_SIZE, decodeCanRecords, openCanSocket, socketDrops } from '../../src/can/can-socket.js';
import { isKernelError } from '../../src/backend/addon-persona.js';
import { packCanRecords } from '../helpers/can-records.js';

void t.test('records decode to the frames the decoder takes, in the order received', async (t) => {
  const records = packCanRecords([
    { id: 0x1a0, data: [1, 2, 3], timeNs: 1_767_258_000_123_456_789n },
    { id: 0x18daf110, extended: true, data: [9, 8, 7, 6, 5, 4, 3, 2], timeNs: 1_767_258_000_123_457_000n },
    { id: 0x7df, remote: true },
    { id: 0x123, fd: true, data: Array.from({ length: 64 }, (_, i) => i) },
    // Past 2106: the seconds take more than 32 bits.
    { id: 0x1, data: [0], timeNs: 4_400_000_000_000_000_001n },
  ]);
  t.equal(records.length, 5 * CAN_RECORD_SIZE);
  const frames = decodeCanRecords(records, 'vcan0', () => t.fail('no error frame'));
  t.same(frames[0], { timeUs: 1_767_258_000_123_456, iface: 'vcan0', id: 0x1a0, extended: false, fd: false, remote: false, error: false, data: new Uint8Array([1, 2, 3]) }, 'microseconds, truncated');
  t.same([frames[1]!.id, frames[1]!.extended, [...frames[1]!.data]], [0x18daf110, true, [9, 8, 7, 6, 5, 4, 3, 2]], '29-bit ids without their flag');
  t.same([frames[2]!.id, frames[2]!.remote, frames[2]!.data.length], [0x7df, true, 0], 'remote');
  t.same([frames[3]!.fd, frames[3]!.data.length, frames[3]!.data[63]], [true, 64, 63], 'CAN FD, 64 bytes');
  t.equal(frames[4]!.timeUs, 4_400_000_000_000_000, 'seconds beyond 32 bits');
  t.equal(frames[0]!.data.buffer, records.buffer, 'payloads are views of the batch, not copies');
});

void t.test('error frames are not frames: their class goes to onErrorFrame, which may stop the batch there', async (t) => {
  const records = packCanRecords([
    { id: 0x100, data: [1] },
    { id: 0x04, error: true, data: [0, 0x10, 0, 0, 0, 0, 0, 0] },
    { id: 0x101, data: [2] },
    { id: 0x40, error: true },
    { id: 0x102, data: [3] },
  ]);
  const classes: number[] = [];
  const frames = decodeCanRecords(records, 'can0', (c) => {
    classes.push(c);
    return c === 0x40;
  });
  t.same(classes, [0x04, 0x40]);
  t.same(
    frames.map((f) => f.id),
    [0x100, 0x101],
    'the frame after the stop is left out',
  );
  t.same(decodeCanRecords(Buffer.alloc(0), 'can0', () => false), []);
});

void t.test("a batch's drops are the socket's count at its last record", async (t) => {
  t.equal(socketDrops(packCanRecords([{ id: 1 }, { id: 2 }])), 0);
  t.equal(socketDrops(packCanRecords([{ id: 1, drops: 3 }, { id: 2, drops: 4 }])), 4);
  t.equal(socketDrops(Buffer.alloc(0)), 0);
});

void t.test('the addon names the interface when it cannot open it, and refuses bad arguments', async (t) => {
  // This host may have no SocketCAN at all (EAFNOSUPPORT); with it, the interface does not exist (ENODEV).
  const err = (() => {
    try {
      openCanSocket('nocan7', null, 5, () => undefined).close();
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(isKernelError(err), 'a KernelError');
  if (isKernelError(err)) {
    t.ok(['EAFNOSUPPORT', 'ENODEV'].includes(err.code), `code ${err.code}`);
    t.match(err.message, /nocan7/, `"${err.message}" names the interface`);
    t.match(err.syscall, /nocan7/);
  }
  t.throws(() => openCanSocket('a-name-much-too-long', null, 5, () => undefined), { name: 'TypeError', message: /"a-name-much-too-long" is not a network interface name/ });
  t.throws(() => openCanSocket('vcan0', new Uint32Array(3), 5, () => undefined), { name: 'RangeError', message: /id, mask pairs/ });
  t.throws(() => openCanSocket('vcan0', null, -1, () => undefined), { name: 'RangeError', message: /holdMs/ });
});
