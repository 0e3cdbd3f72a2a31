import { ConfinedFolder } from './confined-file.js';
import { parseEnvelope, PAYLOAD_TYPES } from './dsse-envelope.js';
import type { ManifestVerifier, TrustedPayload } from './manifest-verifier.js';
import type { RollbackState } from './rollback-state.js';
import { verifyThreshold } from './signature-threshold.js';
import { loadTrustChain } from './trust-chain.js';
import type { TrustRoot } from './trust-root.js';

/**
 * Trusts a manifest when a threshold of the keys of the personalities role of the
 * trust root signed it: DSSE, Ed25519 over the pre-authentication encoding of the
 * exact payload bytes, checked before any field of the payload is read.
 */
export class SignedManifestVerifier implements ManifestVerifier {
  readonly kind = 'dsse-ed25519';
  private root: TrustRoot | undefined;
  private readonly trustFolder: ConfinedFolder;

  /**
   * @param trust the folder of the trust root chain, root.json and its rotations N.root.json;
   *   a path is its own root (see ConfinedFolder)
   * @param state pins the newest trust root trusted, so an older one is refused;
   *   without it (offline checks) the chain starts from root.json each time
   */
  constructor(
    trust: ConfinedFolder | string,
    private readonly state?: RollbackState,
  ) {
    this.trustFolder = typeof trust === 'string' ? new ConfinedFolder(trust) : trust;
  }

  /** The trust root in force since the last refresh(). */
  get trustRoot(): TrustRoot {
    if (this.root === undefined) throw new Error('SignedManifestVerifier: refresh() must come first');
    return this.root;
  }

  refresh(now: number): string {
    this.root = loadTrustChain(this.trustFolder, now, this.state);
    return this.root.digest;
  }

  verify(bytes: Uint8Array, file: string): TrustedPayload {
    const { version, roles } = this.trustRoot;
    const envelope = parseEnvelope(bytes, file, PAYLOAD_TYPES.personality);
    const signers = verifyThreshold(envelope, roles.personalities, file);
    return {
      payload: envelope.payload,
      trust: Object.freeze({ verifier: this.kind, signers, threshold: roles.personalities.threshold, rootVersion: version }),
    };
  }
}
