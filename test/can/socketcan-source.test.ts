import t from 'tap';
import type { CanFrame } from '../../src/can/can-frame.js';
import { kernelFilters, SocketCanSource, type RawChannelLike, type RawMessage } from '../../src/can/socketcan-source.js';
import { SimulatedClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/logger.js';

/** Stands in for the socketcan addon's RawChannel inside this unit test. */
class FakeChannel implements RawChannelLike {
  filters: Array<{ id: number; mask: number }> = [];
  started = false;
  stopped = false;
  private onMessage: ((m: RawMessage) => void) | undefined;
  private onStopped: (() => void) | undefined;
  addListener(event: 'onMessage' | 'onStopped', callback: ((m: RawMessage) => void) | (() => void)): void {
    if (event === 'onMessage') this.onMessage = callback;
    else this.onStopped = callback as () => void;
  }
  setRxFilters(filters: Array<{ id: number; mask: number }>): void {
    this.filters = filters;
  }
  start(): void {
    this.started = true;
  }
  stop(): void {
    this.stopped = true;
    this.onStopped?.();
  }
  receive(m: RawMessage): void {
    this.onMessage?.(m);
  }
  /** What the addon does when the interface goes down (POLLERR on the socket). */
  goDown(): void {
    this.onStopped?.();
  }
}

void t.test('kernel filters keep standard and extended ids apart', async (t) => {
  t.same(kernelFilters([{ id: 0x123, extended: false }, { id: 0x18daf110, extended: true }]), [
    { id: 0x123, mask: 0x800007ff },
    { id: 0x98daf110, mask: 0x9fffffff },
  ]);
});

void t.test('frames carry kernel timestamps; error frames are counted, not delivered', async (t) => {
  const channels: FakeChannel[] = [];
  const source = new SocketCanSource('vcan0', {
    filters: [{ id: 0x1a0, extended: false }],
    openChannel: () => {
      const c = new FakeChannel();
      channels.push(c);
      return c;
    },
  });
  const frames: CanFrame[] = [];
  const done = source.start((f) => frames.push(f));
  await Promise.resolve();
  const c = channels[0]!;
  t.ok(c.started);
  t.same(c.filters, [{ id: 0x1a0, mask: 0x800007ff }]);
  t.equal(source.state, 'opening');
  c.receive({ id: 0x1a0, data: Buffer.from([1, 2]), ts_sec: 1700000000, ts_usec: 250 });
  t.equal(source.state, 'open');
  c.receive({ id: 0x18daf110, ext: true, data: Buffer.alloc(12), ts_sec: 1700000000, ts_usec: 251 });
  c.receive({ id: 0x4, err: true, data: Buffer.alloc(8) });
  t.same(frames[0], { timeUs: 1700000000000250, iface: 'vcan0', id: 0x1a0, extended: false, fd: false, remote: false, error: false, data: new Uint8Array([1, 2]) });
  t.equal(frames[1]!.extended, true);
  t.equal(frames[1]!.fd, true, 'more than 8 bytes: CAN FD');
  t.same(source.stats, { frames: 2, errorFrames: 1, busOff: 0, reopens: 0 });
  await source.stop();
  await done;
  t.ok(c.stopped);
  t.equal(source.state, 'stopped');
});

void t.test('interface down and bus-off: reopened with backoff, logged once per change', async (t) => {
  const clock = new SimulatedClock();
  const logs: string[] = [];
  const channels: FakeChannel[] = [];
  const opens: number[] = [];
  let failNext = 0;
  const source = new SocketCanSource('can0', {
    clock,
    logger: createLogger('persona:can', 'info', (l) => logs.push(l)),
    backoffMs: { initial: 100, max: 400 },
    openChannel: () => {
      opens.push(clock.now());
      if (failNext > 0) {
        failNext--;
        throw new Error('Error while opening channel');
      }
      const c = new FakeChannel();
      channels.push(c);
      return c;
    },
  });
  const frame = { id: 0x1a0, data: Buffer.alloc(8) };
  const health: Array<string | undefined> = [];
  source.onHealth((problem) => health.push(problem));
  const done = source.start(() => undefined);
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  await settle();
  t.equal(source.state, 'opening', 'open, but no frame yet');
  channels[0]!.receive(frame);
  t.equal(source.state, 'open');
  failNext = 3;
  channels[0]!.goDown();
  await settle();
  t.equal(channels.length, 2, 'reopened after three failed attempts');
  t.same(opens, [0, 100, 300, 700, 1100], 'waits 100, 200, 400, then capped at 400 ms');
  t.equal(source.state, 'down', 'still down: no frame since');
  channels[1]!.goDown();
  await settle();
  t.equal(opens.at(-1), 1500, 'a channel that fails before any frame keeps the backoff at its cap');
  channels[2]!.receive(frame);
  t.equal(source.state, 'open');
  channels[2]!.receive({ id: 0x40 | 0x20000000, err: true, data: Buffer.alloc(8) });
  await settle();
  t.equal(channels.length, 4, 'bus-off closes and reopens');
  t.ok(channels[2]!.stopped);
  t.equal(opens.at(-1), 1600, 'backoff starts again at 100 ms after frames flowed');
  t.same(source.stats, { frames: 2, errorFrames: 1, busOff: 1, reopens: 1 });
  await source.stop();
  await done;
  t.same(logs, [
    'info  persona:can: can0: receiving',
    'warn  persona:can: can0: can0 went down; reopening with backoff up to 400 ms',
    'info  persona:can: can0: receiving',
    'warn  persona:can: can0: can0 reported bus-off; reopening with backoff up to 400 ms',
  ]);
  t.same(health, [undefined, 'CAN can0: can0 went down; reopening with backoff up to 400 ms', undefined, 'CAN can0: can0 reported bus-off; reopening with backoff up to 400 ms'], 'what the daemon turns into status degraded, and back');
});
