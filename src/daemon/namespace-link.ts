import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { InstanceInput } from '../context/instance-features.js';
import type { NamespacePayload, StatePublisher } from '../mqtt/contract.js';
import type { InstanceFeed, InstanceReading } from '../namespace/instance-feed.js';
import type { NamespaceSource } from '../namespace/namespace-source.js';
import type { AdoptionOutcome, PersonalityAdopter } from '../namespace/personality-adopter.js';
import { iso } from './payloads.js';

/** What the link needs of the daemon. */
export interface NamespaceSink {
  /** Pipeline time, stamped on each instance reading. */
  readonly timeMs: number;
  onInstance(input: InstanceInput): void;
  personalitiesAdopted(outcome: AdoptionOutcome): void;
}

/**
 * Joins the shared namespace to the daemon: personalities go through the adopter into
 * the manifest store, the instance context through the feed into the instance region,
 * and what was adopted and refused is published in `state/namespace` for the host.
 * The context is looked at again every `pollMs`, because it goes stale without changing.
 */
export class NamespaceLink {
  private lastReading = '';
  private contextError: string | null = null;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly source: NamespaceSource,
    private readonly adopter: PersonalityAdopter,
    private readonly feed: InstanceFeed,
    private readonly publisher: StatePublisher,
    private readonly options: { profile: string | undefined; hypervisor: string | null; pollMs: number; clock: Clock; logger: Logger },
  ) {}

  private sink: NamespaceSink | undefined;

  start(sink: NamespaceSink): void {
    this.sink = sink;
    this.publish();
    this.source.start((snapshot) => {
      // Nothing the namespace holds may stop the daemon: whatever goes wrong is said, and what is in force stays.
      try {
        this.contextError = this.feed.update(snapshot.context) ?? null;
        const outcome = this.adopter.adopt(snapshot.personalities);
        if (outcome) sink.personalitiesAdopted(outcome);
      } catch (error) {
        this.options.logger.error(`adopting from ${this.source.describe} failed, the personalities in force stay: ${(error as Error).message}`);
      }
      this.checkInstance();
      this.publish();
    });
    this.cancel = this.options.clock.every(this.options.pollMs, () => this.checkInstance());
  }

  stop(): void {
    this.cancel?.();
    this.source.stop();
  }

  /** Feeds the instance region when the reading differs from the last one fed, staleness included. */
  private checkInstance(): void {
    const reading = this.feed.reading();
    const key = JSON.stringify(reading);
    if (key === this.lastReading) return;
    const wasFed = this.lastReading !== '';
    this.lastReading = key;
    try {
      this.sink?.onInstance({ ...reading, timeMs: this.sink.timeMs });
    } catch (error) {
      this.options.logger.error(`the instance context could not be taken: ${(error as Error).message}`);
    }
    if (wasFed) this.publish();
  }

  private publish(): void {
    const reading: InstanceReading = this.feed.reading();
    const payload: NamespacePayload = {
      source: this.source.describe,
      profile: this.options.profile ?? null,
      hypervisor: this.options.hypervisor,
      context:
        reading.role === null || reading.resources === null || reading.updated === null || reading.source === null
          ? null
          : { role: reading.role, resources: reading.resources, hostPressure: reading.hostPressure, updated: reading.updated, stale: reading.stale, from: reading.source },
      contextError: this.contextError,
      adopted: this.adopter.list().map((a) => ({ personality: a.personality, version: a.version, digest: a.digest, from: a.from, time: a.atMs === 0 ? null : iso(a.atMs) })),
      rejected: this.adopter.refusals().map((r) => ({ personality: r.personality, code: r.code, error: r.error, from: r.from, time: iso(r.atMs) })),
    };
    this.publisher.publishNamespace?.(payload);
  }
}
