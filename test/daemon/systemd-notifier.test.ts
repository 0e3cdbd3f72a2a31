import t from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/logger.js';
import type { SwitchRecord } from '../../src/daemon/daemon-stages.js';
import { SystemdNotifier, type NotifyEnvironment } from '../../src/daemon/systemd-notifier.js';

const PID = 4242;

function harness(env: NotifyEnvironment, send: (message: string) => void = () => {}) {
  const clock = new SimulatedClock();
  const sent: string[] = [];
  const logs: string[] = [];
  const notifier = SystemdNotifier.fromEnvironment(env, PID, {
    clock,
    logger: createLogger('persona:systemd', 'info', (l) => logs.push(l)),
    sender: (socket) => (message) => {
      send(message);
      sent.push(`${socket} ${message}`);
    },
  });
  return { clock, sent, logs, notifier };
}

const firstSwitch = { target: { key: 'pvnic', driverId: 'pvnic', resources: ['pvnic0', 'pvnic1'] }, to: 'safe' } as unknown as SwitchRecord;

void t.test('without NOTIFY_SOCKET persona was not started by systemd: no notifier', async (t) => {
  t.equal(harness({}).notifier, undefined);
  t.equal(harness({ NOTIFY_SOCKET: '', WATCHDOG_USEC: '1000000' }).notifier, undefined);
});

void t.test('READY=1 only once the broker is connected and the first personality applied, in either order', async (t) => {
  for (const order of [['connected', 'applied'], ['applied', 'connected']] as const) {
    const { notifier, sent } = harness({ NOTIFY_SOCKET: '/run/notify' });
    notifier!.start();
    for (const step of order) {
      t.same(sent, [], `nothing before ${step} (${order.join(' then ')})`);
      if (step === 'connected') notifier!.connected('mqtt://127.0.0.1:1883');
      else notifier!.applied(firstSwitch);
    }
    t.same(sent, ['/run/notify READY=1\nSTATUS=connected to mqtt://127.0.0.1:1883; pvnic runs safe'], order.join(' then '));
  }
});

void t.test('READY=1 is sent once: reconnects and later switches say nothing more', async (t) => {
  const { notifier, sent } = harness({ NOTIFY_SOCKET: '@persona-notify' });
  notifier!.connected('mqtt://broker:1883');
  notifier!.applied(firstSwitch);
  notifier!.applied({ ...firstSwitch, to: 'city' });
  notifier!.connected('mqtt://broker:1883');
  t.same(sent, ['@persona-notify READY=1\nSTATUS=connected to mqtt://broker:1883; pvnic runs safe']);
});

void t.test('the observer passes every callback on and reports the first switch', async (t) => {
  const { notifier, sent } = harness({ NOTIFY_SOCKET: '/run/notify' });
  const seen: string[] = [];
  const observer = notifier!.observing({
    contextChanged: () => seen.push('contextChanged'),
    decided: () => seen.push('decided'),
    switched: (r) => seen.push(`switched ${r.to}`),
    applyFailed: (target, personality) => seen.push(`applyFailed ${target} ${personality}`),
  });
  notifier!.connected('mqtt://broker:1883');
  observer.contextChanged?.({ region: 'driving', from: 'unknown', to: 'parked' } as never, null);
  observer.decided?.({} as never);
  observer.applyFailed?.('pvnic', 'city', new Error('EBUSY'));
  t.same(sent, [], 'a failed apply does not make persona ready');
  observer.switched?.(firstSwitch);
  t.same(seen, ['contextChanged', 'decided', 'applyFailed pvnic city', 'switched safe']);
  t.same(sent, ['/run/notify READY=1\nSTATUS=connected to mqtt://broker:1883; pvnic runs safe']);
});

void t.test('WATCHDOG=1 at once and then every half of WATCHDOG_USEC, until stop', async (t) => {
  const { notifier, sent, clock } = harness({ NOTIFY_SOCKET: '/run/notify', WATCHDOG_USEC: '10000000', WATCHDOG_PID: String(PID) });
  notifier!.start();
  t.same(sent, ['/run/notify WATCHDOG=1']);
  clock.advance(4999);
  t.equal(sent.length, 1, 'not before half the watchdog time');
  clock.advance(1);
  clock.advance(5000 * 3);
  t.same(sent, Array(5).fill('/run/notify WATCHDOG=1'));
  notifier!.stop();
  clock.advance(60_000);
  t.same(sent.slice(5), ['/run/notify STOPPING=1'], 'no pings after stop');
});

void t.test('no pings without a watchdog, or when the watchdog is for another process', async (t) => {
  for (const env of [{ NOTIFY_SOCKET: '/run/notify' }, { NOTIFY_SOCKET: '/run/notify', WATCHDOG_USEC: '10000000', WATCHDOG_PID: '1' }]) {
    const { notifier, sent, clock } = harness(env);
    notifier!.start();
    clock.advance(60_000);
    t.same(sent, [], JSON.stringify(env));
  }
});

void t.test('a WATCHDOG_USEC that is not a positive whole number is logged and ignored', async (t) => {
  const { notifier, sent, clock, logs } = harness({ NOTIFY_SOCKET: '/run/notify', WATCHDOG_USEC: '-5' });
  notifier!.start();
  clock.advance(60_000);
  t.same(sent, []);
  t.match(logs, [/WATCHDOG_USEC "-5" is not a positive whole number of microseconds/]);
});

void t.test('a socket that fails is logged once, not thrown, and its recovery is logged', async (t) => {
  let failing = true;
  const { notifier, sent, clock, logs } = harness({ NOTIFY_SOCKET: '/run/notify', WATCHDOG_USEC: '2000000' }, () => {
    if (failing) throw new Error('sendto: Connection refused (ECONNREFUSED)');
  });
  notifier!.start();
  clock.advance(3000);
  t.same(sent, [], 'nothing got through');
  t.equal(logs.filter((l) => /cannot notify the service manager \(WATCHDOG=1\): sendto: Connection refused/.test(l)).length, 1);
  failing = false;
  clock.advance(1000);
  t.same(sent, ['/run/notify WATCHDOG=1']);
  t.match(logs.at(-1), /hears persona again/);
});
