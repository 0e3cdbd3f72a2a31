import type { PublishQueue } from './publish-queue.js';

/**
 * Runs a request's handler now and settles with its outcome in its turn among what the daemon
 * publishes: an answer sent outside MQTT (the dashboard's HTTP) then never overtakes the state
 * its request changed, nor the hold file that keeps it, as the MQTT answers do not.
 */
export function answerInTurn<T>(queue: Pick<PublishQueue, 'later'>, handle: () => T): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: Error };
  try {
    outcome = { ok: true, value: handle() };
  } catch (error) {
    // Handlers throw RequestError; anything else is a bug, passed on as the error it is.
    outcome = { ok: false, error: error as Error };
  }
  return new Promise<T>((resolve, reject) => queue.later('an answer to the dashboard', () => (outcome.ok ? resolve(outcome.value) : reject(outcome.error))));
}
