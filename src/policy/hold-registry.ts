import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What an app asks for: this personality for this driver, until released, expired or its owner is gone. */
export interface HoldRequest {
  /** Who holds it: an MQTT client id, a service name. */
  readonly owner: string;
  readonly driverId: string;
  readonly personality: string;
  /** Higher wins; 1–1000. */
  readonly priority: number;
  /** Pipeline time at which the hold lapses by itself. */
  readonly expiresAtMs?: number;
}

export interface Hold extends HoldRequest {
  readonly id: string;
  readonly createdAtMs: number;
}

export type HoldErrorCode = 'E_HOLD_INVALID' | 'E_HOLD_NOT_FOUND' | 'E_HOLD_TOKEN';

export class HoldError extends Error {
  constructor(
    readonly code: HoldErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const hash = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * The holds apps have placed. Releasing needs the token returned when the hold was
 * placed: 256 random bits, kept only as a hash and compared in constant time.
 */
export class HoldRegistry {
  private readonly holds = new Map<string, { hold: Hold; tokenHash: Buffer }>();
  private sequence = 0;

  constructor(private readonly random: (bytes: number) => Buffer = randomBytes) {}

  add(request: HoldRequest, nowMs: number): { hold: Hold; token: string } {
    if (!Number.isInteger(request.priority) || request.priority < 1 || request.priority > 1000) throw new HoldError('E_HOLD_INVALID', `priority must be an integer 1–1000, got ${request.priority}`);
    if (!NAME.test(request.personality)) throw new HoldError('E_HOLD_INVALID', `personality "${request.personality}" is not a personality name`);
    if (request.owner.length === 0 || request.owner.length > 256) throw new HoldError('E_HOLD_INVALID', 'owner must be 1–256 characters');
    if (request.expiresAtMs !== undefined && !(request.expiresAtMs > nowMs)) throw new HoldError('E_HOLD_INVALID', 'expiry must be in the future');
    // Hex, not base64url: a token that starts with '-' reads as an option on a command line (persona release).
    const token = this.random(32).toString('hex');
    const hold: Hold = { ...request, id: `h${++this.sequence}-${this.random(4).toString('hex')}`, createdAtMs: nowMs };
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

  /** Drops holds whose expiry has come. */
  expire(nowMs: number): Hold[] {
    return this.removeWhere((h) => h.expiresAtMs !== undefined && h.expiresAtMs <= nowMs);
  }

  /** A driver's holds, strongest first: higher priority, then the newer. */
  forDriver(driverId: string): Hold[] {
    return this.list()
      .filter((h) => h.driverId === driverId)
      .sort((a, b) => b.priority - a.priority || b.createdAtMs - a.createdAtMs || (b.id > a.id ? 1 : -1));
  }

  list(): Hold[] {
    return [...this.holds.values()].map((e) => e.hold);
  }

  private removeWhere(test: (hold: Hold) => boolean): Hold[] {
    const removed = this.list().filter(test);
    for (const hold of removed) this.holds.delete(hold.id);
    return removed;
  }
}
