import t from 'tap';
import { createFrameSource, parseSourceSpec } from '../../src/can/frame-source-spec.js';
import { ReplaySource } from '../../src/can/replay-source.js';
import { SocketCanSource } from '../../src/can/socketcan-source.js';
import { silentLogger } from '../../src/common/logger.js';

void t.test('sources are named as in config and on the command line', async (t) => {
  t.same(parseSourceSpec('socketcan:vcan0'), { kind: 'socketcan', iface: 'vcan0' });
  t.same(parseSourceSpec('replay:drive.log'), { kind: 'replay', path: 'drive.log' });
  t.same(parseSourceSpec('-'), { kind: 'stdin' });
  t.throws(() => parseSourceSpec('socketcan:a-name-much-too-long'), RangeError, 'no interface name is longer than 15 bytes');
  t.throws(() => parseSourceSpec('socketcan:../x'), RangeError);
});

void t.test("socketcan:IFACE is persona's batched source, with the vehicle's filters and batch window", async (t) => {
  const options = { speed: 1, loop: false, filters: [{ id: 0x1a0, extended: false }], batchWindowMs: 2.5, logger: silentLogger };
  const source = createFrameSource(parseSourceSpec('socketcan:can1'), options);
  t.ok(source instanceof SocketCanSource);
  t.equal(source.description, 'socketcan:can1');
  t.equal((source as SocketCanSource).batchWindowMs, 2.5);
  t.ok(createFrameSource(parseSourceSpec('replay:drive.log'), options) instanceof ReplaySource);
});
