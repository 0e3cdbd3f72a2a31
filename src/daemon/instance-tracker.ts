import type { Logger } from '../common/logger.js';
import type { InstanceState } from '../context/context-names.js';
import type { InstanceInput, InstanceRole } from '../context/instance-features.js';

/** What the host says of this instance, as far as persona takes it. */
export interface InstanceDescription {
  readonly role: InstanceRole | null;
  readonly hostPressure: number | null;
}

const NOTHING: InstanceDescription = { role: null, hostPressure: null };

/**
 * The host's instance context as the daemon last received it. Its role and pressure count
 * only while the instance region knows a state, so a stale context is ignored everywhere at
 * once. Going stale, and fresh again, is logged once each, never per input.
 */
export class InstanceTracker {
  private latest: InstanceInput | null = null;
  /** The last fresh context: a stale one may no longer say where it came from. */
  private lastFresh: InstanceInput | null = null;
  private role: InstanceRole | null = null;

  constructor(private readonly logger: Logger) {}

  /** The input as received, stale or not, for the decision record. */
  get input(): InstanceInput | null {
    return this.latest;
  }

  accept(input: InstanceInput): void {
    const previous = this.latest;
    this.latest = input;
    // A host context that never was fresh is no news: most machines have none.
    if (input.stale && previous?.stale === false) {
      const source = input.source ?? this.lastFresh?.source;
      this.logger.warn(`instance context from ${source ?? 'nowhere'} is stale (updated ${input.updated ?? this.lastFresh?.updated ?? 'never'}): ignored`);
    } else if (!input.stale && previous?.stale === true && this.lastFresh !== null) {
      this.logger.info(`instance context from ${input.source ?? 'nowhere'} is fresh again (updated ${input.updated ?? 'never'})`);
    }
    if (!input.stale) this.lastFresh = input;
  }

  /** The role and pressure the host gives, or nothing while the instance region is unknown. */
  describe(state: InstanceState): InstanceDescription {
    const input = this.latest;
    return state === 'unknown' || input === null || input.stale ? NOTHING : { role: input.role, hostPressure: input.hostPressure };
  }

  /** `instance role cockpit → batch` when the role taken differs from the one last asked for here. */
  roleChange(state: InstanceState): string | undefined {
    const { role } = this.describe(state);
    if (role === this.role) return undefined;
    const change = `instance role ${this.role ?? 'none'} → ${role ?? 'none'}`;
    this.role = role;
    return change;
  }
}
