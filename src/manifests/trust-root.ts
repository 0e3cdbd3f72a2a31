import { createHash, type KeyObject } from 'node:crypto';
import schema from '../../manifests/schema/trust-root.schema.json' with { type: 'json' };
import { parseBoundedJson } from './bounded-json.js';
import { decodeBase64, parseEnvelope, PAYLOAD_TYPES } from './dsse-envelope.js';
import { keyIdOf, publicKeyFromRaw, rawPublicKey } from './ed25519-keys.js';
import { ManifestError } from './manifest-error.js';
import { verifyThreshold, type Signer, type TrustedKey, type TrustRole } from './signature-threshold.js';
import { compileStrictSchema, escapePointer } from './strict-schema.js';
import { parseTimestamp } from './timestamp.js';

export const ROLE_NAMES = ['root', 'personalities'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

interface TrustRootDocument {
  version: number;
  expires: string;
  keys: Record<string, { keytype: 'ed25519'; public: string; name: string }>;
  roles: Record<RoleName, { keyids: string[]; threshold: number }>;
}

/** What a role of a new trust root holds: its keys with their holders, and the threshold. */
export interface RoleSpec {
  readonly keys: ReadonlyArray<{ readonly publicKey: KeyObject; readonly name: string }>;
  readonly threshold: number;
}

const validateDocument = compileStrictSchema<TrustRootDocument>(schema, 'E_SCHEMA');

/**
 * A trust root whose signatures have been checked: the keys persona trusts, per
 * role, with thresholds. Whether it has expired is for its user to judge, against
 * a time it trusts (see TrustChain).
 */
export class TrustRoot {
  private constructor(
    readonly file: string,
    readonly version: number,
    /** As written: `2030-01-01T00:00:00Z`. */
    readonly expires: string,
    /** `expires` in ms since the epoch. */
    readonly expiresAt: number,
    /** sha256 (hex) of the payload: what the anti-rollback state pins. */
    readonly digest: string,
    readonly roles: Readonly<Record<RoleName, TrustRole>>,
    /** The root keys whose signatures made it trusted: its own, and for a rotation the previous root's. */
    readonly signers: readonly Signer[],
  ) {}

  /**
   * Opens the first root in a chain, trusted because of where it came from (the
   * image or the anti-rollback state): only its own root keys can vouch for it, so
   * its payload is necessarily parsed before its signatures are checked.
   * @throws ManifestError
   */
  static open(bytes: Uint8Array, file: string): TrustRoot {
    const envelope = parseEnvelope(bytes, file, PAYLOAD_TYPES.root);
    const parsed = parseDocument(envelope.payload, file);
    const signers = verifyThreshold(envelope, parsed.roles.root, file);
    return new TrustRoot(file, parsed.version, parsed.expires, parsed.expiresAt, parsed.digest, parsed.roles, signers);
  }

  /**
   * Verifies the rotation to the next root: it must be signed by a threshold of
   * this root's root keys (checked before anything of it is parsed), be exactly one
   * version newer, and be signed by a threshold of its own root keys.
   * @throws ManifestError E_SIGNATURE or E_THRESHOLD (old or new keys), E_ROLLBACK, E_TRUST, …
   */
  next(bytes: Uint8Array, file: string): TrustRoot {
    const envelope = parseEnvelope(bytes, file, PAYLOAD_TYPES.root);
    const byOld = verifyThreshold(envelope, this.roles.root, file);
    const parsed = parseDocument(envelope.payload, file);
    if (parsed.version <= this.version) {
      const text = `is ${parsed.version}, not newer than the trusted version ${this.version}`;
      throw new ManifestError('E_ROLLBACK', file, text, '/version');
    }
    if (parsed.version !== this.version + 1) {
      const text = `is ${parsed.version}, but the trusted version is ${this.version}: version ${this.version + 1} must come first`;
      throw new ManifestError('E_TRUST', file, text, '/version');
    }
    const byNew = verifyThreshold(envelope, parsed.roles.root, file);
    const signers = [...byOld, ...byNew.filter((s) => !byOld.some((o) => o.keyid === s.keyid))];
    return new TrustRoot(file, parsed.version, parsed.expires, parsed.expiresAt, parsed.digest, parsed.roles, signers);
  }

  /** This root's roles as a new root would take them over unchanged. */
  spec(role: RoleName): RoleSpec {
    const { keys, threshold } = this.roles[role];
    return { keys: [...keys.values()].map(({ publicKey, name }) => ({ publicKey, name })), threshold };
  }
}

/** The payload of a new trust root, for `persona trust init | rotate` to sign. */
export function trustRootPayload(version: number, expires: string, roles: Readonly<Record<RoleName, RoleSpec>>): Uint8Array {
  const keys: TrustRootDocument['keys'] = {};
  const roleDocuments = {} as TrustRootDocument['roles'];
  for (const role of ROLE_NAMES) {
    const { keys: roleKeys, threshold } = roles[role];
    roleDocuments[role] = { keyids: roleKeys.map(({ publicKey }) => keyIdOf(publicKey)), threshold };
    for (const { publicKey, name } of roleKeys) {
      keys[keyIdOf(publicKey)] = { keytype: 'ed25519', public: rawPublicKey(publicKey).toString('base64'), name };
    }
  }
  const document: TrustRootDocument = { version, expires, keys, roles: roleDocuments };
  return new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
}

interface ParsedRoot {
  version: number;
  expires: string;
  expiresAt: number;
  digest: string;
  roles: Record<RoleName, TrustRole>;
}

function parseDocument(payload: Uint8Array, file: string): ParsedRoot {
  const document = validateDocument(parseBoundedJson(payload, file), file);
  const { version, expires } = document;
  const keys = new Map<string, TrustedKey>();
  for (const [keyid, key] of Object.entries(document.keys)) {
    const path = `/keys/${escapePointer(keyid)}`;
    const publicKey = publicKeyFromRaw(decodeBase64(key.public, file, `${path}/public`));
    if (publicKey === undefined) throw new ManifestError('E_TRUST', file, 'is not an Ed25519 public key', `${path}/public`);
    // Derived ids are what make "distinct keyids" mean "distinct keys" in a threshold.
    if (keyIdOf(publicKey) !== keyid) {
      throw new ManifestError('E_TRUST', file, `is not the keyid of its key (sha256 of it is ${keyIdOf(publicKey)})`, path);
    }
    keys.set(keyid, { keyid, name: key.name, publicKey });
  }
  const roles = {} as Record<RoleName, TrustRole>;
  for (const role of ROLE_NAMES) {
    const { keyids, threshold } = document.roles[role];
    const path = `/roles/${role}`;
    const roleKeys = new Map<string, TrustedKey>();
    keyids.forEach((keyid, i) => {
      const key = keys.get(keyid);
      if (key === undefined) throw new ManifestError('E_TRUST', file, 'names no key of /keys', `${path}/keyids/${i}`);
      roleKeys.set(keyid, key);
    });
    if (threshold > roleKeys.size) {
      const text = `${threshold} can never be met by the ${roleKeys.size} keys of the role`;
      throw new ManifestError('E_TRUST', file, text, `${path}/threshold`);
    }
    roles[role] = { label: `the ${role} role of trust root v${version}`, threshold, keys: roleKeys };
  }
  return {
    version,
    expires,
    expiresAt: parseTimestamp(expires, file, '/expires', 'E_SCHEMA'),
    digest: createHash('sha256').update(payload).digest('hex'),
    roles,
  };
}
