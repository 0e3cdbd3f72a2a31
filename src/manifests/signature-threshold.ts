import { verify, type KeyObject } from 'node:crypto';
import { preAuthEncoding, type Envelope } from './dsse-envelope.js';
import { ManifestError } from './manifest-error.js';

export interface TrustedKey {
  /** sha256 of the raw public key (hex): derived, so one key has exactly one id. */
  readonly keyid: string;
  /** For people: who holds it (`demo-personalities`, `release-2027`). */
  readonly name: string;
  readonly publicKey: KeyObject;
}

/** Keys trusted for one purpose, and how many distinct ones must sign. */
export interface TrustRole {
  /** Names the role in messages: `the personalities role of trust root v3`. */
  readonly label: string;
  readonly threshold: number;
  readonly keys: ReadonlyMap<string, TrustedKey>;
}

/** A key whose valid signature counted towards a threshold. */
export interface Signer {
  readonly keyid: string;
  readonly name: string;
}

/**
 * Counts the distinct keys of `role` with a valid signature over the envelope.
 * A key counts once however many signatures name it, and a signature is checked
 * only against the key its keyid names: a signature for another key, an unknown
 * keyid or a copy of a counted signature adds nothing.
 * @returns the keys that counted, in envelope order
 * @throws ManifestError E_SIGNATURE when no key of the role signed, E_THRESHOLD when too few did
 */
export function verifyThreshold(envelope: Envelope, role: TrustRole, file: string): Signer[] {
  const message = preAuthEncoding(envelope.payloadType, envelope.payload);
  const signers = new Map<string, Signer>();
  for (const { keyid, sig } of envelope.signatures) {
    const key = role.keys.get(keyid);
    if (key === undefined || signers.has(keyid)) continue;
    if (verify(null, message, key.publicKey, sig)) signers.set(keyid, { keyid, name: key.name });
  }
  if (signers.size >= role.threshold) return [...signers.values()];
  if (signers.size === 0) {
    const text = envelope.signatures.length === 0 ? 'is not signed' : `has no valid signature by a key of ${role.label}`;
    throw new ManifestError('E_SIGNATURE', file, text, '/signatures');
  }
  const text = `${signers.size} of the ${role.threshold} distinct keys ${role.label} requires signed`;
  throw new ManifestError('E_THRESHOLD', file, text, '/signatures');
}
