/**
 * Runs tasks one after another, in the order they were queued: a backend's applies (and its
 * drift polls) never overlap. A task that fails does not stop the ones after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | PromiseLike<T>): Promise<T> {
    const result: Promise<T> = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has ended, however it ended. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
