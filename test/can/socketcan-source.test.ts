import t from 'tap';
import type { CanFrame, FrameBatch } from '../../src/can/can-frame.js';
import type { CanSocket, CanSocketCallback } from '../../src/can/can-socket.js';
import { kernelFilters, SocketCanSource } from '../../src/can/socketcan-source.js';
import type { KernelError } from '../../src/backend/addon-persona.js';
import { SimulatedClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/logger.js';
import { packCanRecords, type RecordSpec } from '../helpers/can-records.js';

/** Stands in for the addon's CanSocket inside this unit test. */
class FakeSocket implements CanSocket {
  closed = 0;
  constructor(
    readonly iface: string,
    readonly filters: Uint32Array | null,
    readonly holdMs: number,
    private readonly callback: CanSocketCallback,
  ) {}
  close(): void {
    this.closed++;
  }
  /** One wake-up of the addon that found these frames. */
  receive(...specs: RecordSpec[]): void {
    this.callback(null, packCanRecords(specs));
  }
  /** What the addon reports when recvmmsg fails (the interface went down: ENETDOWN). */
  fail(code: string): void {
    const error = Object.assign(new Error(`recvmmsg ${this.iface}: ${code === 'ENETDOWN' ? 'Network is down' : 'No such device'} (${code})`), { code, errno: 0, syscall: `recvmmsg ${this.iface}` });
    this.callback(error);
  }
}

function openError(iface: string): KernelError {
  return Object.assign(new Error(`SIOCGIFINDEX ${iface}: No such device (ENODEV)`), { code: 'ENODEV', errno: 19, syscall: `SIOCGIFINDEX ${iface}` });
}

void t.test('kernel filters keep standard and extended ids apart', async (t) => {
  t.same(kernelFilters([{ id: 0x123, extended: false }, { id: 0x18daf110, extended: true }]), [
    { id: 0x123, mask: 0x800007ff },
    { id: 0x98daf110, mask: 0x9fffffff },
  ]);
});

void t.test('each wake-up is one batch of frames with kernel timestamps; error frames are counted, not delivered', async (t) => {
  const sockets: FakeSocket[] = [];
  const source = new SocketCanSource('vcan0', {
    filters: [
      { id: 0x1a0, extended: false },
      { id: 0x18daf110, extended: true },
    ],
    batchWindowMs: 2.5,
    openSocket: (iface, filters, holdMs, callback) => {
      const s = new FakeSocket(iface, filters, holdMs, callback);
      sockets.push(s);
      return s;
    },
  });
  const batches: FrameBatch[] = [];
  const sink = Object.assign(() => t.fail('frames come as batches'), { batch: (frames: FrameBatch) => batches.push(frames) });
  const done = source.start(sink);
  await Promise.resolve();
  const s = sockets[0]!;
  t.same([s.iface, [...s.filters!], s.holdMs], ['vcan0', [0x1a0, 0x800007ff, 0x98daf110, 0x9fffffff], 2.5], 'filters as id, mask pairs; the batch window');
  t.equal(source.state, 'opening');
  s.receive(
    { id: 0x1a0, data: [1, 2], timeNs: 1_700_000_000_000_250_000n },
    { id: 0x18daf110, extended: true, fd: true, data: Array.from({ length: 12 }, () => 0), timeNs: 1_700_000_000_000_251_000n },
    { id: 0x4, error: true, data: [0, 0, 0, 0, 0, 0, 0, 0] },
  );
  t.equal(source.state, 'open');
  t.equal(batches.length, 1, 'one call for the wake-up');
  t.same(batches[0]![0], { timeUs: 1700000000000250, iface: 'vcan0', id: 0x1a0, extended: false, fd: false, remote: false, error: false, data: new Uint8Array([1, 2]) });
  t.same([batches[0]![1]!.extended, batches[0]![1]!.fd, batches[0]![1]!.data.length], [true, true, 12]);
  t.same(source.stats, { frames: 2, errorFrames: 1, busOff: 0, dropped: 0, reopens: 0 });
  s.receive({ id: 0x4, error: true });
  t.equal(batches.length, 1, 'a wake-up with only error frames hands nothing over');
  await source.stop();
  await done;
  t.equal(s.closed, 1, 'the socket is closed once');
  t.equal(source.state, 'stopped');
  s.receive({ id: 0x1a0, data: [3] });
  t.equal(batches.length, 1, 'nothing after stop');
});

void t.test('a sink without batches gets the frames one by one, and a stop in the middle ends the batch', async (t) => {
  let socket: FakeSocket | undefined;
  const source = new SocketCanSource('vcan0', {
    openSocket: (iface, filters, holdMs, callback) => (socket = new FakeSocket(iface, filters, holdMs, callback)),
  });
  const frames: CanFrame[] = [];
  const done = source.start((f) => {
    frames.push(f);
    if (frames.length === 2) void source.stop();
  });
  await Promise.resolve();
  t.equal(socket!.filters, null, 'no filters: every frame');
  t.equal(socket!.holdMs, 10, 'the default batch window');
  socket!.receive({ id: 1 }, { id: 2 }, { id: 3 });
  t.same(
    frames.map((f) => f.id),
    [1, 2],
  );
  await done;
  t.equal(source.stats.frames, 2);
});

void t.test('interface down, gone and bus-off: reopened with backoff, logged once per change', async (t) => {
  const clock = new SimulatedClock();
  const logs: string[] = [];
  const sockets: FakeSocket[] = [];
  const opens: number[] = [];
  let failNext = 0;
  const source = new SocketCanSource('can0', {
    clock,
    logger: createLogger('persona:can', 'info', (l) => logs.push(l)),
    backoffMs: { initial: 100, max: 400 },
    openSocket: (iface, filters, holdMs, callback) => {
      opens.push(clock.now());
      if (failNext > 0) {
        failNext--;
        throw openError(iface);
      }
      const s = new FakeSocket(iface, filters, holdMs, callback);
      sockets.push(s);
      return s;
    },
  });
  const frame = { id: 0x1a0, data: [0, 0, 0, 0, 0, 0, 0, 0] };
  const health: Array<string | undefined> = [];
  source.onHealth((problem) => health.push(problem));
  const done = source.start(() => undefined);
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  await settle();
  t.equal(source.state, 'opening', 'open, but no frame yet');
  sockets[0]!.receive(frame);
  t.equal(source.state, 'open');
  failNext = 3;
  sockets[0]!.fail('ENETDOWN');
  t.equal(sockets[0]!.closed, 1, 'a failed socket is closed');
  await settle();
  t.equal(sockets.length, 2, 'reopened after three failed attempts');
  t.same(opens, [0, 100, 300, 700, 1100], 'waits 100, 200, 400, then capped at 400 ms');
  t.equal(source.state, 'down', 'still down: no frame since');
  sockets[1]!.fail('ENETDOWN');
  await settle();
  t.equal(opens.at(-1), 1500, 'a socket that fails before any frame keeps the backoff at its cap');
  sockets[2]!.receive(frame, { id: 0x40, error: true }, frame);
  t.equal(source.state, 'open');
  await settle();
  t.equal(sockets.length, 4, 'bus-off closes and reopens');
  t.equal(sockets[2]!.closed, 1);
  t.equal(opens.at(-1), 1600, 'backoff starts again at 100 ms after frames flowed');
  t.same(source.stats, { frames: 2, errorFrames: 1, busOff: 1, dropped: 0, reopens: 1 }, 'the frame after the bus-off is not delivered');
  sockets[3]!.receive(frame);
  sockets[3]!.fail('ENODEV');
  await settle();
  await source.stop();
  await done;
  t.equal(sockets[4]!.closed, 1, 'the socket open at stop is closed');
  t.same(logs, [
    'info  persona:can: can0: receiving',
    'warn  persona:can: can0: can0 went down; reopening with backoff up to 400 ms',
    'info  persona:can: can0: receiving',
    'warn  persona:can: can0: can0 reported bus-off; reopening with backoff up to 400 ms',
    'info  persona:can: can0: receiving',
    'warn  persona:can: can0: receiving failed: recvmmsg can0: No such device (ENODEV); reopening with backoff up to 400 ms',
  ]);
  t.same(health, [undefined, 'CAN can0: can0 went down; reopening with backoff up to 400 ms', undefined, 'CAN can0: can0 reported bus-off; reopening with backoff up to 400 ms', undefined, 'CAN can0: receiving failed: recvmmsg can0: No such device (ENODEV); reopening with backoff up to 400 ms'], 'what the daemon turns into status degraded, and back');
});

void t.test('an interface that cannot be opened is said so, with the reason naming it', async (t) => {
  const clock = new SimulatedClock();
  const logs: string[] = [];
  const source = new SocketCanSource('vcan9', {
    clock,
    logger: createLogger('persona:can', 'info', (l) => logs.push(l)),
    openSocket: (iface) => {
      throw openError(iface);
    },
  });
  const done = source.start(() => undefined);
  for (let i = 0; i < 20; i++) await Promise.resolve();
  t.equal(source.state, 'down');
  await source.stop();
  await done;
  t.same(logs, ['warn  persona:can: vcan9: cannot open vcan9 (SIOCGIFINDEX vcan9: No such device (ENODEV)); retrying with backoff up to 5000 ms']);
});

void t.test('frames the kernel dropped, the buffer full, are counted per socket and said once', async (t) => {
  const logs: string[] = [];
  const sockets: FakeSocket[] = [];
  const source = new SocketCanSource('can0', {
    logger: createLogger('persona:can', 'info', (l) => logs.push(l)),
    openSocket: (iface, filters, holdMs, callback) => {
      const s = new FakeSocket(iface, filters, holdMs, callback);
      sockets.push(s);
      return s;
    },
  });
  const done = source.start(() => undefined);
  await Promise.resolve();
  sockets[0]!.receive({ id: 1 }, { id: 2 });
  sockets[0]!.receive({ id: 3, drops: 5 }, { id: 4, drops: 7 });
  sockets[0]!.receive({ id: 5, drops: 7 });
  sockets[0]!.receive({ id: 6, drops: 9 });
  t.equal(source.stats.dropped, 9);
  await source.stop();
  await done;
  t.same(logs, ['info  persona:can: can0: receiving', "warn  persona:can: can0: the kernel dropped frames, the socket's receive buffer full; give CAN sockets deeper buffers (sysctl net.core.rmem_default)"]);
});
