import type { Logger } from '../common/logger.js';
import type { NamespacePayload, StatePublisher } from '../mqtt/contract.js';

/**
 * What the daemon tells the world, in the order it says it, held back while a step of the
 * pipeline runs and while an apply is under way: serialising a decision record and encoding
 * MQTT packets takes longer than most applies, and nothing of it may sit between a decision
 * and its apply. Each hold is released once; when the last one is, what waited is sent, in
 * order. Unheld, with nothing waiting, a publish goes out at once. Answers to requests take
 * their place in the same order (`later`), so an answer never overtakes the state its request
 * changed. A durable write takes its place too (`laterAwaited`): what follows it waits until it
 * is done, as behind an apply, and the event loop goes on meanwhile.
 */
/** One publish for a kept place (`reserve`): what it is, and how it is sent through an output. */
export interface KeptPublish {
  what: string;
  send: (output: StatePublisher) => void;
}

/** Fills a place kept by `reserve`. */
export type FillPlace = (publishes: readonly KeptPublish[]) => void;

/** Starts a timer; returns what cancels it. */
export type StartTimer = (fire: () => void, ms: number) => () => void;

const realTimer: StartTimer = (fire, ms) => {
  const timer = setTimeout(fire, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * How long what is published may wait for an apply. An apply takes milliseconds; one that
 * hangs (a driver that never answers an ioctl, an ethtool that never exits) must not also
 * silence the status, the state and every answer: after this long they go out without it.
 */
export const MAX_HOLD_MS = 2000;

export class PublishQueue implements StatePublisher {
  private readonly waiting: Array<{ what: string; send: () => void }> = [];
  private holds = 0;
  /** Cancels the watchdog of the current hold; undefined while nothing holds. */
  private cancelWatchdog: (() => void) | undefined;
  /** The current hold outlasted MAX_HOLD_MS: publishing goes on unheld until it ends. */
  private overdue = false;
  /** The awaited steps under way (`laterAwaited`). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly output: StatePublisher,
    private readonly logger: Logger,
    private readonly startTimer: StartTimer = realTimer,
    private readonly maxHoldMs = MAX_HOLD_MS,
  ) {}

  start(): Promise<void> {
    return this.output.start();
  }

  /** Sends what still waits, whatever holds it: stopping is the last chance to; a durable write under way is finished first. */
  async stop(): Promise<void> {
    this.cancelWatchdog?.();
    this.cancelWatchdog = undefined;
    this.overdue = true;
    this.flush();
    await this.settled();
    await this.output.stop();
  }

  /** Resolves once no awaited step is under way and nothing waits behind one. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Keeps what is published from now on until every hold is released. */
  hold(): void {
    if (this.holds++ === 0) this.cancelWatchdog = this.startTimer(() => this.overrun(), this.maxHoldMs);
  }

  release(): void {
    if (this.holds === 0) throw new RangeError('publish queue released more often than held');
    if (--this.holds > 0) return;
    this.cancelWatchdog?.();
    this.cancelWatchdog = undefined;
    this.overdue = false;
    this.flush();
  }

  /** Runs `send` in its place among what is published: now, or when the holds are released. `what` names it when it fails. */
  later(what: string, send: () => void): void {
    if ((this.holds === 0 || this.overdue) && this.waiting.length === 0) return this.run(what, send);
    this.waiting.push({ what, send });
  }

  /**
   * Runs `step` in its place among what is published, like `later`, and holds what follows until
   * the promise it returns settles (a rejection is logged). The hold has the same watchdog as an
   * apply's: after MAX_HOLD_MS what waits goes out without it.
   */
  laterAwaited(what: string, step: () => Promise<void>): void {
    this.later(what, () => {
      this.hold();
      const done = Promise.resolve()
        .then(step)
        .catch((err: unknown) => this.logger.error(`${what} failed: ${(err as Error).message}`))
        .finally(() => {
          this.inFlight.delete(done);
          this.release();
        });
      this.inFlight.add(done);
    });
  }

  /**
   * Keeps a place among what is published for payloads not known yet (an apply's personality
   * and switch, known once it returns): what is queued after the place waits until it is
   * filled, as behind `laterAwaited`. The returned function fills it, once, with what to send
   * through the queue's output in that place, each sent as a publish of its own; with nothing
   * when there is nothing to say.
   */
  reserve(what: string): FillPlace {
    let fill: FillPlace = () => undefined;
    const filled = new Promise<readonly KeptPublish[]>((resolve) => (fill = resolve));
    this.laterAwaited(what, async () => {
      for (const publish of await filled) this.run(publish.what, () => publish.send(this.output));
    });
    return fill;
  }

  private overrun(): void {
    this.overdue = true;
    this.logger.warn(`an apply or a durable write has held back what persona publishes for ${this.maxHoldMs} ms: ${this.waiting.length} messages go out without waiting for it`);
    this.flush();
  }

  publishContext(...args: Parameters<StatePublisher['publishContext']>): void {
    this.later('state/context', () => this.output.publishContext(...args));
  }
  publishPersonality(...args: Parameters<StatePublisher['publishPersonality']>): void {
    this.later('state/personality', () => this.output.publishPersonality(...args));
  }
  publishDecision(...args: Parameters<StatePublisher['publishDecision']>): void {
    this.later('state/decision', () => this.output.publishDecision(...args));
  }
  publishHolds(...args: Parameters<StatePublisher['publishHolds']>): void {
    this.later('state/holds', () => this.output.publishHolds(...args));
  }
  publishWorkload(...args: Parameters<StatePublisher['publishWorkload']>): void {
    this.later('state/workload', () => this.output.publishWorkload(...args));
  }
  publishNamespace(payload: NamespacePayload): void {
    this.later('state/namespace', () => this.output.publishNamespace?.(payload));
  }
  publishSwitch(...args: Parameters<StatePublisher['publishSwitch']>): void {
    this.later('event/switch', () => this.output.publishSwitch(...args));
  }
  publishRejected(...args: Parameters<StatePublisher['publishRejected']>): void {
    this.later('event/rejected', () => this.output.publishRejected(...args));
  }
  publishInfo(...args: Parameters<StatePublisher['publishInfo']>): void {
    this.later('info', () => this.output.publishInfo(...args));
  }
  publishManifestEvent(...args: Parameters<StatePublisher['publishManifestEvent']>): void {
    this.later('event/manifest', () => this.output.publishManifestEvent(...args));
  }
  publishDrift(...args: Parameters<StatePublisher['publishDrift']>): void {
    this.later('event/drift', () => this.output.publishDrift(...args));
  }
  publishHealth(...args: Parameters<StatePublisher['publishHealth']>): void {
    this.later('event/health', () => this.output.publishHealth(...args));
  }
  setDegraded(reason: string | undefined): void {
    this.later('status', () => this.output.setDegraded(reason));
  }

  /** Sends what waits, in order, until a step holds what follows it again (unless overdue). */
  private flush(): void {
    while (this.waiting.length > 0 && (this.holds === 0 || this.overdue)) {
      const next = this.waiting.shift() as { what: string; send: () => void };
      this.run(next.what, next.send);
    }
  }

  /** A publish that throws is logged: it must stop neither what waits behind it nor the apply that released it. */
  private run(what: string, send: () => void): void {
    try {
      send();
    } catch (err) {
      this.logger.error(`publishing ${what} failed: ${(err as Error).message}`);
    }
  }
}
