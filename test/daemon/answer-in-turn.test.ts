import t from 'tap';
import { createLogger } from '../../src/common/logger.js';
import { answerInTurn } from '../../src/daemon/answer-in-turn.js';
import { PublishQueue } from '../../src/daemon/publish-queue.js';
import { RecordingPublisher } from '../helpers/scenario.js';

/** A queue held as while an apply is under way, and what happened in which order. */
function held(): { queue: PublishQueue; order: string[] } {
  const queue = new PublishQueue(new RecordingPublisher(), createLogger('publish', 'error', () => undefined));
  queue.hold();
  return { queue, order: [] };
}

void t.test('an answer settles in its turn: after what was queued before it, once the queue is released', async (t) => {
  const { queue, order } = held();
  queue.later('the hold state', () => order.push('hold file written'));
  const answer = answerInTurn(queue, () => {
    order.push('handled');
    return { hold: 'h1' };
  }).then((value) => order.push(`answered ${value.hold}`));
  // Whatever microtasks run meanwhile, nothing is answered while the queue is held.
  await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.same(order, ['handled'], 'handled at once, answered later');
  queue.release();
  await answer;
  t.same(order, ['handled', 'hold file written', 'answered h1']);
});

void t.test('a refusal too, with the handler\'s own error', async (t) => {
  const { queue } = held();
  let settled = false;
  const answer = answerInTurn(queue, () => {
    throw Object.assign(new Error('placed, but deferred'), { status: 409 });
  }).finally(() => (settled = true));
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.notOk(settled);
  queue.release();
  await t.rejects(answer, { message: 'placed, but deferred', status: 409 });
});

void t.test('with nothing under way, the answer settles at once', async (t) => {
  const queue = new PublishQueue(new RecordingPublisher(), createLogger('publish', 'error', () => undefined));
  t.same(await answerInTurn(queue, () => 7), 7);
});
