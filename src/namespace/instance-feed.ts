import type { Logger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import type { InstanceInput } from '../context/instance-features.js';
import { parseInstanceContext, type InstanceContextDocument } from './instance-context.js';
import type { NamespaceDocument } from './namespace-source.js';

/** The instance region's input, but for the pipeline time the daemon stamps on it. */
export type InstanceReading = Omit<InstanceInput, 'timeMs'>;

const NONE: InstanceReading = { stale: true, role: null, resources: null, hostPressure: null, updated: null, source: null };

/**
 * The host's latest word on this instance, and whether it still counts. A context is
 * stale when the host has not rewritten it for `staleMs` by the wall clock (host and
 * guest share the hypervisor's clock; ECUs on a network keep theirs in sync anyway),
 * or when it is dated further ahead than that. A document that fails to parse is
 * reported and changes nothing: the previous one stays until it goes stale.
 */
export class InstanceFeed {
  private latest: { document: InstanceContextDocument; origin: string; bytes: Buffer } | undefined;
  private lastProblem: string | undefined;

  constructor(
    private readonly instanceId: string,
    private readonly staleMs: number,
    private readonly logger: Logger,
    /** Wall clock, ms since the epoch. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes what the namespace holds now; returns the problem with it, if any. */
  update(document: NamespaceDocument | null): string | undefined {
    if (document === null || this.latest?.bytes.equals(document.bytes)) return undefined;
    try {
      this.latest = { document: parseInstanceContext(document.bytes, document.origin, this.instanceId), origin: document.origin, bytes: document.bytes };
      this.lastProblem = undefined;
      return undefined;
    } catch (error) {
      if (!(error instanceof DocumentError)) throw error;
      if (error.message !== this.lastProblem) this.logger.warn(`instance context refused, the previous stays: ${error.message}`);
      this.lastProblem = error.message;
      return error.message;
    }
  }

  /** What the instance region should read now. */
  reading(): InstanceReading {
    if (this.latest === undefined) return NONE;
    const { document, origin } = this.latest;
    const age = this.now() - Date.parse(document.updated);
    return {
      stale: age > this.staleMs || age < -this.staleMs,
      role: document.role,
      resources: document.resources,
      hostPressure: document.hostPressure,
      updated: document.updated,
      source: origin,
    };
  }
}
