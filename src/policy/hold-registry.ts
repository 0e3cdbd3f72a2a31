import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What an app asks for: this personality for this driver, for a while or while its owner is present. */
export interface HoldRequest {
  /** Who holds it: an MQTT client id, a service name. */
  readonly owner: string;
  readonly driverId: string;
  readonly personality: string;
  /** Higher wins; 1–1000. */
  readonly priority: number;
  /** How long the hold lasts; without it, it lasts while its owner is present. */
  readonly holdSeconds?: number;
}

/** When a hold was placed and when it lapses, in wall-clock milliseconds: they must mean the same after a restart. */
export interface HoldTerm {
  readonly placedAtMs: number;
  /** Its fixed end, or for a hold tied to its owner's presence, the end of its lease. */
  readonly expiresAtMs: number;
  /** Tied to its owner's presence: the owner renews the lease by saying it is online. */
  readonly whilePresent: boolean;
}

export interface Hold extends Omit<HoldRequest, 'holdSeconds'>, HoldTerm {
  readonly id: string;
}

/** A hold as a restart needs it: the hash of its token (hex SHA-256), never the token. */
export interface StoredHold extends Hold {
  readonly tokenSha256: string;
}

/** Everything the registry needs to go on after a restart. */
export interface HoldSnapshot {
  /** The last id number given: ids stay unique across restarts. */
  readonly sequence: number;
  readonly holds: readonly StoredHold[];
}

/** How many holds there may be: per owner (from the asker's quota) and in all (from the configuration). */
export interface HoldCaps {
  readonly maxPerOwner: number;
  readonly maxHolds: number;
}

export type HoldErrorCode = 'E_HOLD_INVALID' | 'E_HOLD_NOT_FOUND' | 'E_HOLD_TOKEN' | 'E_HOLD_QUOTA' | 'E_HOLDS_FULL';

export class HoldError extends Error {
  constructor(
    readonly code: HoldErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const ID = /^h([0-9]{1,15})-[0-9a-f]{8}$/;
const hash = (token: string): Buffer => createHash('sha256').update(token).digest();
const NONE: readonly Hold[] = Object.freeze([]);

/**
 * The holds apps have placed. Releasing needs the token returned when the hold was
 * placed: 256 random bits, kept only as a hash and compared in constant time.
 */
export class HoldRegistry {
  private readonly holds = new Map<string, { hold: Hold; tokenHash: Buffer }>();
  private sequence = 0;

  constructor(private readonly random: (bytes: number) => Buffer = randomBytes) {}

  /** Places a hold, or refuses it and changes nothing (E_HOLD_INVALID, E_HOLD_QUOTA, E_HOLDS_FULL). */
  add(request: HoldRequest, term: HoldTerm, caps: HoldCaps): { hold: Hold; token: string } {
    if (!Number.isInteger(request.priority) || request.priority < 1 || request.priority > 1000) throw new HoldError('E_HOLD_INVALID', `priority must be an integer 1–1000, got ${request.priority}`);
    if (!NAME.test(request.personality)) throw new HoldError('E_HOLD_INVALID', `personality "${request.personality}" is not a personality name`);
    if (request.owner.length === 0 || request.owner.length > 256) throw new HoldError('E_HOLD_INVALID', 'owner must be 1–256 characters');
    if (!(term.expiresAtMs > term.placedAtMs) || !Number.isFinite(term.expiresAtMs)) throw new HoldError('E_HOLD_INVALID', 'expiry must be in the future');
    // A hold that has ended counts no more, even before expire() has removed it.
    const live = this.list().filter((h) => h.expiresAtMs > term.placedAtMs);
    const owned = live.filter((h) => h.owner === request.owner).length;
    if (owned >= caps.maxPerOwner) throw new HoldError('E_HOLD_QUOTA', `${request.owner} has ${owned} holds, its quota is ${caps.maxPerOwner}: release one first`);
    if (live.length >= caps.maxHolds) throw new HoldError('E_HOLDS_FULL', `${live.length} holds are in force, as many as there may be (maxHolds ${caps.maxHolds}): try again when one has ended`);
    // Hex, not base64url: a token that starts with '-' reads as an option on a command line (persona release).
    const token = this.random(32).toString('hex');
    const hold: Hold = {
      id: `h${++this.sequence}-${this.random(4).toString('hex')}`,
      owner: request.owner,
      driverId: request.driverId,
      personality: request.personality,
      priority: request.priority,
      ...term,
    };
    this.holds.set(hold.id, { hold, tokenHash: hash(token) });
    return { hold, token };
  }

  /** Removes a hold; the token must be the one returned by add(). */
  release(id: string, token: string): Hold {
    const entry = this.holds.get(id);
    if (!entry) throw new HoldError('E_HOLD_NOT_FOUND', `no hold "${id}"`);
    if (!timingSafeEqual(hash(token), entry.tokenHash)) throw new HoldError('E_HOLD_TOKEN', `wrong token for hold "${id}"`);
    this.holds.delete(id);
    return entry.hold;
  }

  /** Drops every hold of an owner that went away. */
  dropOwner(owner: string): Hold[] {
    return this.removeWhere((h) => h.owner === owner);
  }

  /**
   * The owner is present: its presence-tied holds whose lease has not ended yet run until
   * `untilMs`. A lapsed lease stays lapsed, even before expire() has removed its hold.
   */
  renewLeases(owner: string, nowMs: number, untilMs: number): Hold[] {
    const renewed: Hold[] = [];
    for (const [id, entry] of this.holds) {
      const { hold } = entry;
      if (hold.owner !== owner || !hold.whilePresent || hold.expiresAtMs <= nowMs || hold.expiresAtMs >= untilMs) continue;
      const longer = { ...hold, expiresAtMs: untilMs };
      this.holds.set(id, { ...entry, hold: longer });
      renewed.push(longer);
    }
    return renewed;
  }

  /** Drops holds whose expiry (or lease end) has come; without allocating while none has. */
  expire(nowMs: number): readonly Hold[] {
    let due = false;
    for (const { hold } of this.holds.values()) due ||= hold.expiresAtMs <= nowMs;
    return due ? this.removeWhere((h) => h.expiresAtMs <= nowMs) : NONE;
  }

  /** A driver's holds, strongest first: higher priority, then the newer. */
  forDriver(driverId: string): Hold[] {
    return this.list()
      .filter((h) => h.driverId === driverId)
      .sort((a, b) => b.priority - a.priority || b.placedAtMs - a.placedAtMs || (b.id > a.id ? 1 : -1));
  }

  list(): Hold[] {
    return [...this.holds.values()].map((e) => e.hold);
  }

  /** The holds with their token hashes, and the id sequence, for a restart. */
  snapshot(): HoldSnapshot {
    return { sequence: this.sequence, holds: [...this.holds.values()].map(({ hold, tokenHash }) => ({ ...hold, tokenSha256: tokenHash.toString('hex') })) };
  }

  /**
   * Takes back the holds of a snapshot, which release() then accepts with their original
   * tokens. New ids continue after the highest sequence seen, in the snapshot or its ids.
   */
  restore(snapshot: HoldSnapshot): void {
    for (const { tokenSha256, ...hold } of snapshot.holds) {
      this.holds.set(hold.id, { hold, tokenHash: Buffer.from(tokenSha256, 'hex') });
      this.sequence = Math.max(this.sequence, Number(ID.exec(hold.id)?.[1] ?? 0));
    }
    this.sequence = Math.max(this.sequence, snapshot.sequence);
  }

  private removeWhere(test: (hold: Hold) => boolean): Hold[] {
    const removed = this.list().filter(test);
    for (const hold of removed) this.holds.delete(hold.id);
    return removed;
  }
}
