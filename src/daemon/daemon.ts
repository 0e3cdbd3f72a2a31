import type { ContextState } from '../context/context-names.js';
import type { ContextChange } from '../context/context-tracker.js';
import type { DrivingFeatures } from '../context/driving-features.js';
import type { InstanceInput } from '../context/instance-features.js';
import type { WorkloadInput } from '../context/workload-features.js';
import type { Drift } from '../backend/driver-backend.js';
import type { HoldsPayload, ManifestEventPayload } from '../mqtt/contract.js';
import type { PolicyContext } from '../policy/context-policy.js';
import type { Hold, HoldRequest } from '../policy/hold-registry.js';
import { planSwitch } from '../policy/switch-planner.js';
import type { SignalSnapshot } from '../signals/signal-decoder.js';
import type { DecisionRecord, DriverDecision } from './decision-record.js';
import type { DaemonObserver, DaemonStages } from './daemon-stages.js';
import { FrameIntake } from './frame-intake.js';
import { formatted, infoPayload, iso } from './payloads.js';
import { SettledDecision, type DecisionInputs } from './settled-decision.js';
import { SwitchApplier } from './switch-applier.js';
import { InstanceTracker } from './instance-tracker.js';
import { describeBreach } from '../health/health-watch.js';
import type { AdoptionOutcome } from '../namespace/personality-adopter.js';
import { indexChanges, type PersonalityChange } from '../manifests/index-changes.js';
import type { ManifestIndex } from '../manifests/manifest-index.js';

export type { DaemonObserver, DaemonStages, SwitchRecord } from './daemon-stages.js';

/** What a reload answers: event/manifest without its time. */
export type ManifestSummary = Omit<ManifestEventPayload, 'time'>;

/**
 * Runs the pipeline: frames → signals → features → context → arbitration → manifests →
 * backend → MQTT. Time is CAN time (frame timestamps), so a replay as fast as possible
 * makes exactly the decisions a real-time one does. With a live source, a timer keeps
 * sampling while frames stop, so that stale signals are noticed. What it publishes is
 * stamped with the clock's wall time, and with CAN time beside it where that matters.
 */
export class Daemon {
  /**
   * The latest decision, which `why` and the answer to a hold explain. Only that one: earlier
   * ones went out on state/decision, and a history kept here would grow with the drive.
   */
  private latest: DecisionRecord | undefined;
  private features: DrivingFeatures | null = null;
  private snapshot: SignalSnapshot = {};
  /** Wall-clock time of the latest sample; null before the first. */
  private sampleWallMs: number | null = null;
  /** Optional signals stale at the last sample; undefined before the first. */
  private degraded: readonly string[] | undefined;
  private workload: WorkloadInput | null = null;
  private lastSignature = '';
  private lastHolds = '';
  private lastInfo = '';
  private seq = 0;
  private readonly cancelTimers: Array<() => void> = [];
  private workloadFailing = false;

  private readonly intake: FrameIntake;
  private readonly applier: SwitchApplier;
  private readonly settledDecision = new SettledDecision();
  private readonly instanceTracker: InstanceTracker;
  /** The index event/manifest last described and decisions were last brought in line with: each load is compared with it. */
  private announced: ManifestIndex;

  constructor(
    private readonly stages: DaemonStages,
    private readonly observer: DaemonObserver = {},
  ) {
    this.intake = new FrameIntake(stages, { sample: (timeUs) => this.sample(timeUs), quiet: () => this.expireHoldsBetweenSamples() });
    this.applier = new SwitchApplier(stages, observer, () => this.timeMs);
    this.instanceTracker = new InstanceTracker(stages.logger.child('instance'));
    this.announced = stages.store.inForce;
  }

  async start(): Promise<void> {
    process.on('SIGHUP', this.onHangup);
    await this.stages.publisher.start();
    this.stages.source.onHealth?.((problem) => this.stages.publisher.setDegraded(problem));
    this.cancelTimers.push(this.stages.backend.onDrift((drift) => this.driftDetected(drift)));
    this.publishInfo();
    this.restoreHolds();
    this.stages.tracker.start();
    const { source, clock, workload } = this.stages;
    if (source.nowUs) this.intake.anchor(source.nowUs());
    // After the anchor: what the namespace says first is stamped with the source's time.
    this.stages.namespace?.start(this);
    if (source.timeScale > 0) this.cancelTimers.push(clock.every(this.intake.idleTickMs(), () => this.intake.idleTick()));
    if (workload) this.cancelTimers.push(clock.every(workload.intervalMs, () => this.sampleWorkload(() => workload.sample())));
  }

  /** Consumes the source until it ends or is stopped, and waits for pending switches. */
  async run(): Promise<void> {
    await this.stages.source.start(this.intake.sink);
    await this.settled();
  }

  /** Resolves once every apply queued so far is done, and what waited for it has been published (the hold file written). */
  async settled(): Promise<void> {
    await this.applier.settled();
    await this.stages.publisher.settled();
  }

  async stop(): Promise<void> {
    process.off('SIGHUP', this.onHangup);
    for (const cancel of this.cancelTimers.splice(0)) cancel();
    this.stages.namespace?.stop();
    await this.stages.source.stop();
    await this.settled();
    await this.stages.backend.stop();
    this.stages.tracker.stop();
    await this.stages.publisher.stop();
  }

  /** Pipeline time: the time of the latest sample, or before it the start of a live source. */
  get timeMs(): number {
    // Before the first sample, a live source's start is the time: an instance context can come first.
    const lastUs = this.intake.lastTimeUs;
    return this.features?.timeMs ?? (lastUs !== undefined ? lastUs / 1000 : 0);
  }

  /** The latest sample's signals and features, and when it was taken by the wall clock, for live views between decisions. */
  latestSample(): { signals: SignalSnapshot; features: DrivingFeatures | null; wallTimeMs: number | null } {
    return { signals: this.snapshot, features: this.features, wallTimeMs: this.sampleWallMs };
  }

  /** The latest decision recorded; undefined before the first. */
  latestDecision(): DecisionRecord | undefined {
    return this.latest;
  }

  /** Feeds a workload sample (from the sampler's timer). */
  onWorkload(workload: WorkloadInput): void {
    this.step(() => {
      const changes = this.stages.tracker.workload(workload);
      const first = this.workload === null;
      this.workload = workload;
      if (changes.length > 0 || first) {
        const { workload: level, io } = this.stages.tracker.current;
        this.stages.publisher.publishWorkload({ workload: level, io, cpuPressure: workload.cpuPressure, memoryPressure: workload.memoryPressure, ioPressure: workload.ioPressure });
      }
      for (const change of changes) this.contextChanged(change);
      if (changes.length > 0) this.evaluate(changes.map(describe).join(', '));
    });
  }

  /** Feeds the host's instance context; a stale one moves the instance region to unknown and is ignored. */
  onInstance(input: InstanceInput): void {
    this.step(() => {
      this.instanceTracker.accept(input);
      const changes = this.stages.tracker.instance(input);
      const roleChange = this.instanceTracker.roleChange(this.stages.tracker.current.instance);
      for (const change of changes) this.contextChanged(change);
      // A role that changes alone still changes state/context.
      if (roleChange && changes.length === 0) this.publishContext(this.timeMs);
      const triggers = [...changes.map(describe), ...(roleChange ? [roleChange] : [])];
      // Before the first sample there is nothing to decide on: that sample decides with this.
      if (triggers.length > 0 && this.features !== null) this.evaluate(triggers.join(', '));
    });
  }

  /** A broken /proc is logged once per change, never per sample; the regions keep their last state. */
  private sampleWorkload(sample: () => WorkloadInput): void {
    let workload: WorkloadInput;
    try {
      workload = sample();
    } catch (err) {
      if (!this.workloadFailing) this.stages.logger.warn(`workload sampling failed, workload regions hold their state: ${(err as Error).message}`);
      this.workloadFailing = true;
      return;
    }
    if (this.workloadFailing) this.stages.logger.info('workload sampling works again');
    this.workloadFailing = false;
    this.onWorkload(workload);
  }

  /**
   * Places a hold for a personality that exists (ManifestError E_NOT_FOUND otherwise): for
   * `holdSeconds`, or without them while its owner is present, on a lease that ownerOnline()
   * renews. `maxPerOwner` is the owner's quota (HoldError E_HOLD_QUOTA beyond it); `maxHolds`
   * bounds all holds (E_HOLDS_FULL). A refusal changes nothing.
   */
  placeHold(request: HoldRequest, { maxPerOwner }: { maxPerOwner: number }): { hold: Hold; token: string } {
    this.stages.store.require(request.driverId, request.personality);
    const nowMs = this.stages.clock.wallNow();
    const { holdSeconds } = request;
    const expiresAtMs = nowMs + (holdSeconds === undefined ? this.stages.presenceLeaseMs : holdSeconds * 1000);
    const placed = this.stages.holds.add(request, { placedAtMs: nowMs, expiresAtMs, whilePresent: holdSeconds === undefined }, { maxPerOwner, maxHolds: this.stages.maxHolds });
    this.evaluate(`hold ${placed.hold.id} placed by ${request.owner}`);
    this.saveHolds();
    return placed;
  }

  releaseHold(id: string, token: string): Hold {
    const hold = this.stages.holds.release(id, token);
    this.evaluate(`hold ${id} released`);
    this.saveHolds();
    return hold;
  }

  /**
   * The owner's presence says `online`: its holds tied to that presence get a full lease
   * again. Without this, a client that left without saying `offline` would hold forever.
   */
  ownerOnline(owner: string): Hold[] {
    const nowMs = this.stages.clock.wallNow();
    const renewed = this.stages.holds.renewLeases(owner, nowMs, nowMs + this.stages.presenceLeaseMs);
    if (renewed.length === 0) return renewed;
    this.saveHolds();
    this.publishHoldsIfChanged();
    return renewed;
  }

  /**
   * Loads the manifests again and swaps the whole index at once; decisions see the old or
   * the new one, never a mix. A failure keeps the personalities in force. A reload that
   * changes no personality ends no quarantine and decides nothing (and the store writes no
   * state); it still answers and publishes event/manifest, so that it is seen to have happened.
   */
  reloadManifests(): ManifestSummary {
    this.stages.store.reload();
    return this.manifestsChanged((changed) => `manifests reloaded: ${changed.map(describeChange).join(', ')}`);
  }

  /**
   * Personalities came from the shared namespace. Refusals alone change nothing: they are
   * reported, and neither lift a health quarantine nor make persona decide again.
   */
  personalitiesAdopted(outcome: AdoptionOutcome): void {
    this.step(() => {
      const time = iso(this.stages.clock.wallNow());
      for (const r of outcome.refused) this.stages.publisher.publishRejected({ time, what: `manifest ${r.from}`, status: 422, error: r.error, code: r.code });
      if (outcome.adopted.length === 0) return;
      const adopted = outcome.adopted.map((a) => `${a.personality} v${a.version}`);
      this.manifestsChanged(() => `adopted ${adopted.join(', ')}`);
    });
  }

  /**
   * After a load, compared with the manifests last announced: event/manifest says it happened
   * and lists the personalities changed, event/rejected gets the refusals when they differ from
   * before, and info follows when it differs. Only a changed personality (added, removed, or
   * with another manifest) does more: its quarantine ends, and no other, and the policy decides
   * again (a new version of a personality in force is applied).
   */
  private manifestsChanged(trigger: (changed: readonly PersonalityChange[]) => string): ManifestSummary {
    return this.step(() => {
      const { store, publisher } = this.stages;
      const changes = indexChanges(this.announced, store.inForce);
      this.announced = store.inForce;
      const summary: ManifestSummary = {
        personalities: store.list().length,
        rejected: store.rejected.map((e) => ({ file: e.file, code: e.code, error: e.message })),
        changed: changes.personalities.map((c) => ({ driver: c.driverId, name: c.name, from: c.from, to: c.to })),
      };
      const time = iso(this.stages.clock.wallNow());
      publisher.publishManifestEvent({ time, ...summary });
      // A refused file is also a refusal like any other, where a watcher of event/rejected sees it.
      if (changes.rejections) for (const r of summary.rejected) publisher.publishRejected({ time, what: `manifest ${r.file}`, status: 422, error: r.error, code: r.code });
      // A new trust root changes info without changing a personality.
      this.publishInfo();
      if (changes.personalities.length === 0) return summary;
      this.applier.health.release(changes.personalities);
      if (this.features !== null) this.evaluate(trigger(changes.personalities));
      return summary;
    });
  }

  /** Retained: published when it says something new. */
  private publishInfo(): void {
    const info = infoPayload(this.stages.store, this.stages.backend, this.stages.version, this.stages.instance);
    const signature = JSON.stringify(info);
    if (signature === this.lastInfo) return;
    this.lastInfo = signature;
    this.stages.publisher.publishInfo(info);
  }

  private readonly onHangup = (): void => {
    try {
      const { personalities, rejected, changed } = this.reloadManifests();
      this.stages.logger.info(`SIGHUP: reloaded ${personalities} personalities, ${changed.length} changed, ${rejected.length} rejected`);
    } catch (err) {
      this.stages.logger.error(`SIGHUP: reload failed, keeping the personalities in force: ${(err as Error).message}`);
    }
  };

  /**
   * Another tool changed a driver: status turns degraded and event/drift says so; then the
   * personality is applied again (reassert) or the drifted values are left alone until the
   * next switch (report).
   */
  private driftDetected(drift: Drift): void {
    this.step(() => {
      const { logger, publisher } = this.stages;
      const reason = `drift on ${drift.driverId} ${drift.resources.join(', ')}: ${drift.parameters.join(', ')} changed outside persona`;
      logger.warn(`${reason}; ${this.stages.onDrift === 'reassert' ? 'applying the personality again' : 'reporting only'}`);
      publisher.setDegraded(reason);
      publisher.publishDrift({ time: iso(this.stages.clock.wallNow()), driver: drift.driverId, resources: drift.resources, parameters: drift.parameters, generation: drift.generation, action: this.stages.onDrift });
      this.applier.drifted(drift);
      this.evaluate(`drift on ${drift.driverId}`);
    });
  }

  /** The holds in force, as published (never their tokens), in wall-clock time. */
  holds(): HoldsPayload['holds'] {
    return this.stages.holds.list().map((h) => ({ id: h.id, owner: h.owner, driver: h.driverId, personality: h.personality, priority: h.priority, expires: iso(h.expiresAtMs), placed: iso(h.placedAtMs), whilePresent: h.whilePresent }));
  }

  /** An owner (an MQTT client) went away: its holds go with it. */
  dropOwner(owner: string): Hold[] {
    const dropped = this.stages.holds.dropOwner(owner);
    if (dropped.length === 0) return dropped;
    this.evaluate(`${owner} went away, dropping ${dropped.map((h) => h.id).join(', ')}`);
    this.saveHolds();
    return dropped;
  }

  /**
   * The holds of the last run, less those that ended meanwhile and those whose personality
   * is gone. The first decision takes them into account.
   */
  private restoreHolds(): void {
    const { holdState, holds, store, logger } = this.stages;
    if (!holdState) return;
    const nowMs = this.stages.clock.wallNow();
    const saved = holdState.load(nowMs);
    const kept = saved.holds.filter((h) => {
      if (h.expiresAtMs <= nowMs) logger.info(`hold ${h.id} of ${h.owner} ended at ${iso(h.expiresAtMs)}, while persona was not running`);
      else if (store.get(h.driverId, h.personality) === undefined) logger.warn(`hold ${h.id} of ${h.owner} dropped: personality "${h.personality}" of driver "${h.driverId}" no longer exists`);
      else return true;
      return false;
    });
    holds.restore({ sequence: saved.sequence, holds: kept });
    if (kept.length > 0) logger.info(`restored holds ${kept.map((h) => `${h.id} of ${h.owner}`).join(', ')}`);
    this.saveHolds();
    this.publishHoldsIfChanged();
  }

  /**
   * Writes the holds where they outlive a restart: the holds as they are now, written in turn
   * with what is published, so that a durable write never delays the apply their change queued,
   * and still comes before the answer to the request that made it. The write does not block
   * the event loop: frames, applies and what was published before it go on while it flushes.
   */
  private saveHolds(): void {
    const { holdState, holds, publisher } = this.stages;
    if (!holdState) return;
    const snapshot = holds.snapshot();
    publisher.laterAwaited('the hold state', () => holdState.save(snapshot));
  }

  /** Holds end on the wall clock, also while no sample is taken (no frames yet, a stalled loop). */
  private expireHoldsBetweenSamples(): void {
    const expired = this.stages.holds.expire(this.stages.clock.wallNow());
    if (expired.length === 0) return;
    // Before the first sample there is nothing to decide on: only state/holds changes.
    if (this.features === null) this.publishHoldsIfChanged();
    else this.evaluate(expiredTrigger(expired));
    this.saveHolds();
  }

  private sample(timeUs: number): void {
    this.step(() => {
      this.sampleWallMs = this.stages.clock.wallNow();
      this.snapshot = this.stages.decoder.snapshot(timeUs);
      const features = this.stages.features.update(this.snapshot, timeUs / 1000);
      this.features = features;
      this.reportDegraded(features.degraded);
      const change = this.stages.tracker.sample(features);
      const first = this.seq === 0;
      if (change) this.contextChanged(change);
      else if (first) this.publishContext(features.timeMs);
      const failures = this.applier.health.check(features.timeMs);
      for (const failure of failures) this.applier.healthFailed(failure);
      const trigger = failures.map((f) => `health of ${f.personality} on ${f.target.key}: ${f.breaches.map(describeBreach).join(', ')}`).join('; ');
      this.evaluate(change ? describe(change) : trigger || (first ? 'start' : 'sample'));
    });
  }

  /** An optional signal that goes stale or comes back is said once per change; the context does not depend on it. */
  private reportDegraded(now: readonly string[]): void {
    const before = this.degraded;
    this.degraded = now;
    if (before === undefined || (now.length === before.length && now.every((name, i) => name === before[i]))) return;
    const lost = now.filter((name) => !before.includes(name));
    const back = before.filter((name) => !now.includes(name));
    if (lost.length > 0) this.stages.logger.warn(`optional signals stale: ${lost.join(', ')}; the features that read them are unknown until they come back`);
    if (back.length > 0) this.stages.logger.info(`optional signals fresh: ${back.join(', ')}`);
  }

  private contextChanged(change: ContextChange): void {
    this.publishContext(this.timeMs);
    this.observer.contextChanged?.(change, this.features);
  }

  /** The context changed now, at `canTimeMs` in CAN time. */
  private publishContext(canTimeMs: number): void {
    const { driving, workload, io, instance } = this.stages.tracker.current;
    this.stages.publisher.publishContext({
      context: driving,
      workload,
      io,
      instance,
      ...this.instanceTracker.describe(instance),
      since: iso(this.stages.clock.wallNow()),
      canTime: iso(canTimeMs),
      speedKmh: round(this.features?.speedKmh ?? null),
    });
  }

  private evaluate(trigger: string): void {
    const nowMs = this.timeMs;
    const wallMs = this.stages.clock.wallNow();
    const expired = this.stages.holds.expire(wallMs);
    const context = this.stages.tracker.current;
    const standstill = this.features?.speedKmh !== null && this.features !== null && this.features.speedKmh <= this.stages.standstillKmh;
    // A sample that brings nothing new to a decision that left nothing to do would take it again: the same nothing.
    if (trigger === 'sample' && expired.length === 0 && this.settledDecision.holds(this.decisionInputs(context, standstill))) return;
    // Limping, persona asks for nothing but the safe personality, as if the context were unknown.
    const decideFor: PolicyContext = { ...context, ...(this.applier.limp.active ? { driving: 'unknown' } : {}), role: this.instanceTracker.describe(context.instance).role };
    const planned = this.stages.arbiter.decide(decideFor).map((decided) => {
      const verdict = this.applier.health.screen(decided);
      const personality = this.stages.store.require(verdict.driverId, verdict.winner.personality);
      const held = this.applier.standing(verdict.target);
      // Reported drift stays until another personality wins; then the switch clears it.
      const keep = held.drifted === true && held.personality === verdict.winner.personality;
      const standing = keep ? { ...held, values: personality.parameters } : held;
      const info = this.stages.backend.drivers().find((d) => d.id === verdict.driverId);
      const plan = planSwitch({
        verdict,
        target: personality.parameters,
        standing,
        applyClass: (name) => info?.parameters[name]?.applyClass ?? 'disruptive',
        standstill,
        nowMs,
        minSwitchIntervalMs: this.stages.minSwitchIntervalMs,
      });
      return { verdict, plan, standing };
    });
    const drivers: DriverDecision[] = planned.map(({ verdict, plan }) => ({
      target: verdict.target.key,
      resources: verdict.target.resources,
      driverId: verdict.driverId,
      winner: verdict.winner,
      losers: verdict.losers,
      result: plan.result,
      apply: formatted(plan.apply),
      waiting: formatted(plan.waiting),
      ...(plan.notBeforeMs !== undefined ? { notBefore: iso(this.wallTimeAt(plan.notBeforeMs, nowMs, wallMs)), notBeforeCanTime: iso(plan.notBeforeMs) } : {}),
    }));
    const reason = trigger !== 'sample' ? trigger : expired.length > 0 ? expiredTrigger(expired) : this.sampleTrigger(drivers, standstill);
    const mayApply = this.applier.limp.mayApply();
    let queued = false;
    for (const { verdict, plan, standing } of planned) {
      if (!mayApply) break;
      // A winner whose values the driver already has is taken over without touching the driver.
      const adopt = plan.result === 'unchanged' && standing.personality !== verdict.winner.personality;
      if (Object.keys(plan.apply).length > 0 || adopt) {
        this.applier.queue({ target: verdict.target, winner: verdict.winner, plan, before: standing, trigger: reason, nowMs, wallMs, speedKmh: round(this.features?.speedKmh ?? null), context });
        queued = true;
      }
    }
    // Published once the applies are queued, so that it waits for them; then the switches' own payloads.
    try {
      this.publishHoldsIfChanged();
      this.record(reason, context, drivers, nowMs, wallMs);
    } finally {
      this.applier.placeAnnouncements();
    }
    if (expired.length > 0) this.saveHolds();
    const results = planned.map(({ verdict, plan, standing }) => ({ result: plan.result, continuing: standing.personality === verdict.winner.personality }));
    this.settledDecision.decided(this.decisionInputs(context, standstill), results, queued);
  }

  /** What a decision in `context` reads besides the holds and the time (see SettledDecision). */
  private decisionInputs(context: ContextState, standstill: boolean): DecisionInputs {
    return { context, role: this.instanceTracker.describe(context.instance).role, limping: this.applier.limp.active, standstill, standings: this.applier.revision, manifests: this.stages.store.inForce };
  }

  /**
   * Runs a step of the pipeline with the publisher held: what the step publishes goes out when
   * it ends or, when it queued an apply, once that apply is done; never between a decision and
   * its apply.
   */
  private step<T>(run: () => T): T {
    this.stages.publisher.hold();
    try {
      return run();
    } finally {
      this.stages.publisher.release();
    }
  }

  /**
   * When a moment of CAN time ahead comes by the wall clock, counted from a moment seen on
   * both at the pace the source runs CAN time; a replay as fast as possible has no pace and is
   * counted as real time.
   */
  private wallTimeAt(canMs: number, nowMs: number, wallMs: number): number {
    const pace = this.stages.source.timeScale > 0 ? this.stages.source.timeScale : 1;
    return wallMs + (canMs - nowMs) / pace;
  }

  /** Holds change by requests and by expiry inside decisions: published whenever the set differs. */
  private publishHoldsIfChanged(): void {
    const holds = this.holds();
    const signature = JSON.stringify(holds);
    if (signature === this.lastHolds) return;
    this.lastHolds = signature;
    this.stages.publisher.publishHolds({ holds });
  }

  /** Why a sample without a context change decided something: a deferred switch came due, or the car stopped. */
  private sampleTrigger(drivers: DriverDecision[], standstill: boolean): string {
    const latest = this.latest;
    const wasDeferred = drivers.some((d) => Object.keys(d.apply).length > 0 && latest?.drivers.find((p) => p.target === d.target)?.result === 'deferred');
    if (wasDeferred) return 'minimum interval between switches elapsed';
    return standstill ? 'standstill' : 'sample';
  }

  /**
   * Records a decision when it applied something or its outcome (context, winners, what
   * waits, what is deferred) differs from the previous one: samples that change nothing
   * leave no trace.
   */
  private record(trigger: string, context: DecisionRecord['context'], drivers: DriverDecision[], nowMs: number, wallMs: number): void {
    // CAN time only: the wall-clock notBefore is counted afresh at every sample.
    const signature = JSON.stringify([context, drivers.map((d) => [d.winner, d.waiting, d.notBeforeCanTime])]);
    const applied = drivers.some((d) => Object.keys(d.apply).length > 0);
    if (signature === this.lastSignature && !applied) return;
    this.lastSignature = signature;
    const record: DecisionRecord = {
      seq: ++this.seq,
      time: iso(wallMs),
      canTime: iso(nowMs),
      trigger,
      context,
      inputs: { signals: this.snapshot, freshness: this.stages.decoder.freshness(nowMs * 1000), features: this.features, workload: this.workload, instance: this.instanceTracker.input },
      drivers,
    };
    this.latest = record;
    this.stages.publisher.publishDecision(record);
    this.observer.decided?.(record);
  }
}

function expiredTrigger(expired: readonly Hold[]): string {
  return `${expired.length === 1 ? 'hold' : 'holds'} ${expired.map((h) => h.id).join(', ')} expired`;
}

function describe(change: ContextChange): string {
  return `${change.region} ${change.from} → ${change.to}`;
}

function describeChange(change: PersonalityChange): string {
  const version = (v: number | null): string => (v === null ? 'none' : `v${v}`);
  return `${change.driverId}/${change.name} ${version(change.from)} → ${version(change.to)}`;
}

function round(speedKmh: number | null): number | null {
  return speedKmh === null ? null : Math.round(speedKmh * 10) / 10;
}
