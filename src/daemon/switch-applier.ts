import type { Drift } from '../backend/driver-backend.js';
import type { ContextState } from '../context/context-names.js';
import { describeBreach } from '../health/health-watch.js';
import type { ParameterValues } from '../manifests/personality.js';
import type { DriverPersonality, PersonalityPayload, SwitchPayload } from '../mqtt/contract.js';
import type { Candidate } from '../policy/arbiter.js';
import type { Target } from '../policy/context-policy.js';
import type { DriverStanding, SwitchPlan } from '../policy/switch-planner.js';
import type { DaemonObserver, DaemonStages, SwitchRecord } from './daemon-stages.js';
import { HealthGuard, type HealthFailure } from './health-guard.js';
import { LimpMode } from './limp-mode.js';
import type { FillPlace, KeptPublish } from './publish-queue.js';
import { formatted, iso, switchPayload } from './payloads.js';

/** What a target has, as the decisions see it. */
export interface Standing extends DriverStanding {
  /** Changed behind persona's back and, as configured, left so until the next switch. */
  readonly drifted?: boolean;
  /** When the personality was decided, by the wall clock: what state/personality shows. */
  readonly sinceWallMs: number;
  readonly generation: number;
  readonly waiting: ParameterValues;
}

/** One planned switch of a target, with what the decision knew. */
export interface ApplyRequest {
  readonly target: Target;
  readonly winner: Candidate;
  readonly plan: SwitchPlan;
  readonly before: Standing;
  readonly trigger: string;
  /** When it was decided, in CAN time and by the wall clock. */
  readonly nowMs: number;
  readonly wallMs: number;
  readonly speedKmh: number | null;
  readonly context: ContextState;
}

/** Where an apply's personality and switch go among what is published: filled once it is kept. */
interface Announcement {
  fill?: FillPlace;
  /** The apply has ended: a place kept from now on would never be filled. */
  done?: boolean;
}

/**
 * The applying side of the daemon: what each target has, the applies run one after another
 * in decision order while frames keep flowing, the failures that make persona limp, and the
 * health watch after each switch.
 */
export class SwitchApplier {
  readonly health: HealthGuard;
  readonly limp: LimpMode;
  private readonly standings = new Map<string, Standing>();
  private changes = 0;
  private work: Promise<void> = Promise.resolve();
  /** The applies queued since the decision that queued them was recorded: their places among what is published are still to be kept. */
  private readonly unplaced: Announcement[] = [];

  constructor(
    private readonly stages: DaemonStages,
    private readonly observer: DaemonObserver,
    /** Pipeline time now. */
    private readonly timeMs: () => number,
  ) {
    this.health = new HealthGuard(stages.counters, stages.logger.child('health'));
    this.limp = new LimpMode(stages.clock);
  }

  /**
   * Counts the changes to what the targets have (a switch queued, an apply done or failed, a
   * drift): a decision taken on the same count saw the same standings.
   */
  get revision(): number {
    return this.changes;
  }

  /** Resolves once every apply queued so far is done. */
  settled(): Promise<void> {
    return this.work;
  }

  /** A driver drifted: each target on its resources plans from what the drifted resource has now. */
  drifted(drift: Drift): void {
    for (const target of this.stages.arbiter.targets) {
      const standing = this.standings.get(target.key);
      const drifted = target.driverId === drift.driverId ? target.resources.find((r) => drift.resources.includes(r)) : undefined;
      if (!standing || drifted === undefined) continue;
      // The target's resources no longer agree: plan from the one that drifted.
      this.setStanding(target.key, { ...standing, values: this.stages.backend.read(target.driverId, drifted), drifted: this.stages.onDrift === 'report' });
    }
  }

  /** What a target has now; a target's resources share a policy, so the first speaks for all. */
  standing(target: Target): Standing {
    let standing = this.standings.get(target.key);
    if (!standing) {
      standing = { personality: null, lastSwitchMs: undefined, values: this.read(target), sinceWallMs: this.stages.clock.wallNow(), generation: 0, waiting: {} };
      this.setStanding(target.key, standing);
    }
    return standing;
  }

  private setStanding(key: string, standing: Standing): void {
    this.standings.set(key, standing);
    this.changes++;
  }

  /** What the driver has, read from the target's first resource. */
  private read(target: Target): ParameterValues {
    return this.stages.backend.read(target.driverId, target.resources[0]);
  }

  /**
   * Takes the plan as done at once (so that the next decision builds on it) and applies it
   * after every apply queued before. The publisher is held until it is done: what the decision
   * published waits for the apply, and goes out with the switch's own payloads after it.
   */
  queue(request: ApplyRequest): void {
    const { target, winner, plan, before, trigger, nowMs, wallMs, speedKmh, context } = request;
    const from = before.personality;
    const { driverId } = target;
    this.setStanding(target.key, {
      ...before,
      personality: winner.personality,
      lastSwitchMs: Object.keys(plan.apply).length > 0 ? nowMs : before.lastSwitchMs,
      sinceWallMs: from === winner.personality ? before.sinceWallMs : wallMs,
      values: { ...before.values, ...plan.apply },
      waiting: plan.waiting,
    });
    this.stages.publisher.hold();
    const announcement: Announcement = {};
    this.unplaced.push(announcement);
    this.work = this.work.then(async () => {
      try {
        const result = await this.stages.backend.apply(driverId, plan.apply, target.resources);
        const standing = this.standing(target);
        this.setStanding(target.key, { ...standing, generation: result.generation, values: this.read(target), drifted: false });
        const record: SwitchRecord = { timeMs: nowMs, wallTimeMs: wallMs, speedKmh, target, driverId, from, to: winner.personality, winner, trigger, context, changes: result.changes, waiting: plan.waiting, durationMs: result.durationMs, generation: result.generation };
        // Applied: the backend has returned and the values are read back; telling comes after.
        this.observer.switched?.(record);
        if (trigger.startsWith('drift on ')) this.stages.publisher.setDegraded(undefined);
        this.announce(announcement, record);
        this.health.switched(target, this.stages.store.get(driverId, winner.personality), from, this.timeMs());
        if (this.limp.succeeded()) {
          this.stages.logger.info(`limp mode over: ${winner.personality} applied to ${target.key}`);
          this.stages.publisher.setDegraded(undefined);
        }
      } catch (err) {
        this.applyFailed(target, winner.personality, before, err as Error);
      } finally {
        // A failed apply has nothing to say in its place: what waits behind it goes on. One not
        // placed yet gets no place at all.
        announcement.done = true;
        announcement.fill?.([]);
        this.stages.publisher.release();
      }
    }).catch((err: unknown) => {
      // Handling a failed apply failed too: logged, and the chain goes on, or every later apply
      // would be skipped and what they hold back never published.
      this.stages.logger.error(`applying ${winner.personality} to ${target.key}: ${(err as Error).message}`);
    });
  }

  /**
   * Keeps a place among what is published for the personality and switch of each apply queued
   * since the last call, right after what the decision that queued them published (its context,
   * holds and record). What is queued later (a hold file's durable write, the answer to a
   * request) then goes out after them, and never holds them back.
   */
  placeAnnouncements(): void {
    for (const announcement of this.unplaced.splice(0)) if (!announcement.done) announcement.fill = this.stages.publisher.reserve('the switch');
  }

  /** The switch's payloads as they are now, sent in the place kept for them; where none was kept, queued now. */
  private announce(announcement: Announcement, record: SwitchRecord): void {
    const { personality, switched } = this.switchPayloads(record);
    const publishes: KeptPublish[] = [
      { what: 'state/personality', send: (output) => output.publishPersonality(personality) },
      { what: 'event/switch', send: (output) => output.publishSwitch(switched) },
    ];
    const { fill } = announcement;
    announcement.fill = undefined;
    if (fill) fill(publishes);
    else for (const publish of publishes) publish.send(this.stages.publisher);
  }

  /**
   * The backend changed nothing: the standing goes back to what the driver really has, if it
   * can still be read. Failing again and again, or losing the driver, makes persona limp.
   */
  private applyFailed(target: Target, personality: string, before: Standing, err: Error): void {
    const { backend, logger, publisher } = this.stages;
    const vanished = !backend.drivers().some((d) => d.id === target.driverId);
    let values = this.standing(target).values;
    if (!vanished) {
      try {
        values = this.read(target);
      } catch (readErr) {
        logger.warn(`reading ${target.key} after the failed apply failed too: ${(readErr as Error).message}`);
      }
    }
    // Nothing switched, so the minimum interval runs from the last switch that did.
    this.setStanding(target.key, { ...this.standing(target), values, personality: before.personality, lastSwitchMs: before.lastSwitchMs, waiting: {} });
    logger.error(`applying ${personality} to ${target.key} failed: ${err.message}`);
    this.observer.applyFailed?.(target.key, personality, err);
    const reason = vanished ? `driver ${target.driverId} vanished (${err.message})` : `applying ${personality}: ${err.message}`;
    if (this.limp.failed(reason, vanished)) {
      logger.error(`limp mode: ${this.limp.reason}; only the safe personality from now on, retried with backoff`);
      publisher.setDegraded(`limp mode: ${this.limp.reason}`);
    }
  }

  /** A personality broke its bounds: said loudly; the decision that follows reverts it. */
  healthFailed(failure: HealthFailure): void {
    const { target } = failure;
    const breaches = failure.breaches.map(describeBreach).join(', ');
    this.stages.logger.warn(`${failure.personality} on ${target.key} broke its health bounds ${failure.afterMs} ms after the switch (${breaches}): back to ${failure.revertTo ?? 'nothing'}, quarantined until another manifest for it is loaded`);
    this.stages.publisher.publishHealth({
      time: iso(this.stages.clock.wallNow()),
      canTime: iso(this.timeMs()),
      target: target.key,
      driver: failure.driverId,
      resources: target.resources,
      personality: failure.personality,
      revertTo: failure.revertTo,
      breaches: failure.breaches.map((b) => ({ ...b, value: Math.round(b.value * 1000) / 1000 })),
      afterMs: failure.afterMs,
      windowMs: failure.windowMs,
    });
    this.observer.healthFailed?.(failure);
  }

  /** state/personality after a switch, and its event/switch. */
  private switchPayloads(r: SwitchRecord): { personality: PersonalityPayload; switched: SwitchPayload } {
    const { backend } = this.stages;
    const drivers: Record<string, DriverPersonality> = {};
    for (const target of this.stages.arbiter.targets) {
      const s = this.standings.get(target.key);
      if (!s || s.personality === null) continue;
      drivers[target.key] = { personality: s.personality, resources: target.resources, generation: s.generation, since: iso(s.sinceWallMs), parameters: formatted(this.read(target)), pending: formatted(s.waiting) };
    }
    return { personality: { backend: backend.kind, drivers }, switched: switchPayload(r) };
  }
}
