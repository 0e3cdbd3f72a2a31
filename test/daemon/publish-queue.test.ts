import t from 'tap';
import { createLogger } from '../../src/common/logger.js';
import { PublishQueue } from '../../src/daemon/publish-queue.js';
import type { ContextPayload, SwitchPayload } from '../../src/mqtt/contract.js';
import { RecordingPublisher } from '../helpers/scenario.js';

/** Notes, in one list, what reaches the output. */
class SentPublisher extends RecordingPublisher {
  readonly sent: string[] = [];
  stopped = false;
  override publishContext(p: ContextPayload): void {
    this.sent.push(`context ${p.context}`);
  }
  override publishSwitch(p: SwitchPayload): void {
    this.sent.push(`switch ${p.to}`);
  }
  override setDegraded(reason: string | undefined): void {
    this.sent.push(`status ${reason ?? 'online'}`);
  }
  override stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

const context = (name: string): ContextPayload => ({ context: name }) as ContextPayload;
const switchTo = (name: string): SwitchPayload => ({ to: name }) as SwitchPayload;

function queue(): { queue: PublishQueue; output: SentPublisher; logged: string[] } {
  const output = new SentPublisher();
  const logged: string[] = [];
  return { queue: new PublishQueue(output, createLogger('persona:publish', 'info', (line) => logged.push(line))), output, logged };
}

void t.test('unheld and with nothing waiting, a publish goes out at once', async (t) => {
  const { queue: q, output } = queue();
  q.publishContext(context('city'));
  q.later('client/hmi/response/why', () => output.sent.push('answer'));
  t.same(output.sent, ['context city', 'answer']);
});

void t.test('held, everything waits; when the last hold is released it goes out in the order it came, answers in their place', async (t) => {
  const { queue: q, output } = queue();
  q.hold(); // a step of the pipeline
  q.publishContext(context('highway'));
  q.hold(); // the apply it queued
  q.release(); // the step ends
  q.later('client/hmi/response/select', () => output.sent.push('answer'));
  t.same(output.sent, [], 'nothing while the apply is under way');
  q.publishSwitch(switchTo('highway'));
  q.setDegraded(undefined);
  q.release(); // the apply is done
  t.same(output.sent, ['context highway', 'answer', 'switch highway', 'status online']);
  q.publishContext(context('city'));
  t.same(output.sent.at(-1), 'context city', 'and then at once again');
});

void t.test('a publish that throws is logged with what it was and keeps nothing else back', async (t) => {
  const { queue: q, output, logged } = queue();
  q.hold();
  q.later('client/hmi/response/why', () => {
    throw new Error('socket gone');
  });
  q.publishContext(context('parked'));
  q.release();
  t.same(output.sent, ['context parked']);
  t.same(logged, ['error persona:publish: publishing client/hmi/response/why failed: socket gone']);
});

void t.test('stopping sends what waits, then stops the output', async (t) => {
  const { queue: q, output } = queue();
  q.hold();
  q.publishContext(context('parked'));
  await q.stop();
  t.same(output.sent, ['context parked']);
  t.ok(output.stopped);
});

void t.test('a release without a hold is a fault, not a silent queue that never sends again', async (t) => {
  const { queue: q, output } = queue();
  t.throws(() => q.release(), { name: 'RangeError', message: 'publish queue released more often than held' });
  q.publishContext(context('city'));
  t.same(output.sent, ['context city']);
});

void t.test('an apply that hangs holds nothing back for longer than the watchdog allows', async (t) => {
  const output = new SentPublisher();
  const logged: string[] = [];
  const timers: Array<{ fire: () => void; ms: number; cancelled: boolean }> = [];
  const startTimer = (fire: () => void, ms: number): (() => void) => {
    const timer = { fire, ms, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  const q = new PublishQueue(output, createLogger('persona:publish', 'info', (line) => logged.push(line)), startTimer, 2000);
  q.hold(); // an apply that never returns
  q.hold(); // and a step on top of it: one watchdog for both
  t.equal(timers.length, 1, 'one watchdog per span of holds');
  t.equal(timers[0]!.ms, 2000);
  q.publishContext(context('highway'));
  q.later('client/hmi/response/select', () => output.sent.push('answer'));
  t.same(output.sent, [], 'held');
  timers[0]!.fire();
  t.same(output.sent, ['context highway', 'answer'], 'out, in order, when the watchdog fires');
  t.match(logged.join('\n'), /an apply or a durable write has held back what persona publishes for 2000 ms: 2 messages go out without waiting for it/);
  q.setDegraded('drift');
  t.same(output.sent.at(-1), 'status drift', 'and at once while the hung apply lasts');
  q.release();
  q.release();
  q.hold(); // the next apply
  t.equal(timers.length, 2, 'a new watchdog');
  q.publishSwitch(switchTo('city'));
  t.same(output.sent.at(-1), 'status drift', 'which holds again');
  q.release();
  t.ok(timers[1]!.cancelled, 'released in time: its watchdog is cancelled');
  t.same(output.sent.at(-1), 'switch city');
});

void t.test('an awaited step (a durable write) holds what follows it until it is done, not what came before it', async (t) => {
  const { queue: q, output } = queue();
  let finish: () => void = () => undefined;
  q.publishContext(context('city'));
  q.laterAwaited('the hold state', () => new Promise<void>((resolve) => (finish = () => {
    output.sent.push('written');
    resolve();
  })));
  q.later('client/hmi/response/select', () => output.sent.push('answer'));
  q.publishContext(context('highway'));
  t.same(output.sent, ['context city'], 'the answer and the next state wait for the write');
  let settled = false;
  const done = q.settled().then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(settled, 'not settled while the write is under way');
  finish();
  await done;
  t.same(output.sent, ['context city', 'written', 'answer', 'context highway'], 'then in order');
});

void t.test('an awaited step that fails is logged, and what follows it goes out', async (t) => {
  const { queue: q, output, logged } = queue();
  q.laterAwaited('the hold state', () => Promise.reject(new Error('EIO')));
  q.later('client/hmi/response/select', () => output.sent.push('answer'));
  await q.settled();
  t.same(output.sent, ['answer']);
  t.match(logged.join('\n'), /the hold state failed: EIO/);
});

void t.test('stopping finishes a durable write under way before the output stops', async (t) => {
  const { queue: q, output } = queue();
  q.hold();
  q.laterAwaited('the hold state', () => new Promise<void>((resolve) => setTimeout(() => {
    output.sent.push('written');
    resolve();
  }, 20)));
  q.publishContext(context('city'));
  const stopped = q.stop();
  t.same(output.sent, ['context city'], 'what waited goes out, whatever holds it');
  await stopped;
  t.same(output.sent, ['context city', 'written'], 'and the write is finished');
  t.ok(output.stopped, 'before the output stops');
});

void t.test("a kept place (an apply's payloads, known once it returns) goes out in its place, before what was queued after it", async (t) => {
  const { queue: q, output } = queue();
  q.hold();
  q.publishContext(context('city'));
  const fill = q.reserve('the switch');
  q.laterAwaited('the hold state', () => {
    output.sent.push('written');
    return Promise.resolve();
  });
  q.later('client/hmi/response/select', () => output.sent.push('answer'));
  q.release();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(output.sent, ['context city'], 'what follows the place waits for it to be filled');
  fill([{ what: 'event/switch', send: (out) => out.publishSwitch(switchTo('city')) }]);
  await q.settled();
  t.same(output.sent, ['context city', 'switch city', 'written', 'answer'], 'the switch in its place, then the write and the answer');
});

void t.test('a kept place filled with nothing lets what follows it go', async (t) => {
  const { queue: q, output } = queue();
  const fill = q.reserve('the switch');
  q.publishContext(context('highway'));
  t.same(output.sent, [], 'waits for the place');
  fill([]);
  await q.settled();
  t.same(output.sent, ['context highway']);
});

void t.test('in a kept place each publish is sent on its own: one that throws is logged and keeps the next', async (t) => {
  const { queue: q, output, logged } = queue();
  const fill = q.reserve('the switch');
  fill([
    { what: 'state/personality', send: () => { throw new Error('too large'); } },
    { what: 'event/switch', send: (out) => out.publishSwitch(switchTo('city')) },
  ]);
  await q.settled();
  t.same(output.sent, ['switch city']);
  t.match(logged.join('\n'), /publishing state\/personality failed: too large/);
});
