import type { ManifestTrust } from './personality.js';

/** A payload a verifier accepted, and why it is trusted. */
export interface TrustedPayload {
  readonly payload: Uint8Array;
  readonly trust: ManifestTrust;
}

/**
 * Decides whether the bytes of a manifest file can be trusted and extracts the
 * payload to parse. Nothing parses a manifest before its verifier has accepted
 * it, so a parser bug cannot be reached with untrusted input once signing is on.
 */
export interface ManifestVerifier {
  /** Shown in logs and status: `dsse-ed25519`, or `unsigned`. */
  readonly kind: string;
  /**
   * Brings the verifier's trust up to date at the start of a (re)load, e.g. by
   * following a trust root rotation. Verifications are cached, and only reused
   * while the identifier returned stays the same.
   * @param now the instant to judge expiry at, ms since the epoch (see judgingTime)
   * @returns an identifier of the trust now in force
   * @throws ManifestError when nothing can be trusted: the (re)load fails
   */
  refresh(now: number): string;
  /**
   * @returns the trusted payload bytes
   * @throws ManifestError when the file must not be used
   */
  verify(bytes: Uint8Array, file: string): TrustedPayload;
}

/** The trust of a manifest whose signatures nobody checked. */
export const UNSIGNED_TRUST: ManifestTrust = Object.freeze({ verifier: 'unsigned', signers: [], threshold: 0, rootVersion: undefined });
