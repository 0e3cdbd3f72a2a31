import t from 'tap';
import { formatCandumpLine, parseCandumpLine } from '../../src/can/candump-line.js';

void t.test('classic frame', async (t) => {
  const f = parseCandumpLine('(1700000000.123456) vcan0 123#DEADBEEF');
  t.same(f, { timeUs: 1700000000123456, iface: 'vcan0', id: 0x123, extended: false, fd: false, remote: false, error: false, data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) });
});

void t.test('extended id, empty payload, nanosecond timestamp', async (t) => {
  const f = parseCandumpLine('(1700000000.123456789) can1 18DAF110#');
  t.equal(f.timeUs, 1700000000123456);
  t.equal(f.id, 0x18daf110);
  t.equal(f.extended, true);
  t.equal(f.data.length, 0);
});

void t.test('CAN FD frame with flags digit and 12 bytes', async (t) => {
  const f = parseCandumpLine('(1.000001) vcan0 7FF##1000102030405060708090A0B');
  t.equal(f.fd, true);
  t.equal(f.data.length, 12);
  t.equal(f.data[11], 0x0b);
});

void t.test('remote and error frames', async (t) => {
  t.equal(parseCandumpLine('(1.000000) vcan0 123#R').remote, true);
  const e = parseCandumpLine('(1.000000) vcan0 20000004#0004000000000000');
  t.equal(e.error, true);
  t.equal(e.id, 4);
});

void t.test('malformed lines are rejected with a reason', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['garbage', /expected/],
    ['(1.000000) vcan0 12#00', /3 \(standard\) or 8/],
    ['(1.000000) vcan0 800#00', /exceeds 0x7FF/],
    ['(1.000000) vcan0 123#ABC', /even number/],
    ['(1.000000) vcan0 123#001122334455667788', /too long/],
    ['(1.000000) vcan0 123##', /flags digit/],
    ['(1.0001) vcan0 123#00', /expected/],
  ];
  for (const [line, message] of bad) t.throws(() => parseCandumpLine(line), { name: 'Error', message }, line);
  t.throws(() => parseCandumpLine('x'), { code: 'E_CANDUMP' });
});

void t.test('format is the inverse of parse', async (t) => {
  for (const line of ['(1700000000.000001) vcan0 123#DEADBEEF', '(5.500000) can0 18DAF110#0102', '(1.000000) vcan0 7FF##0A1B2C3D4E5F60718293A4B5C', '(2.000000) vcan0 123#R']) {
    t.equal(formatCandumpLine(parseCandumpLine(line)), line);
  }
});
