import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SigningKey } from './dsse-envelope.js';
import { ManifestError } from './manifest-error.js';

/** Ed25519 public keys are 32 bytes. */
const RAW_PUBLIC_KEY_BYTES = 32;

/**
 * A key's id is derived from the key itself (sha256 of the raw public key, hex),
 * so one key cannot stand under two ids and count twice towards a threshold.
 */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex');
}

/** The 32 raw bytes of an Ed25519 public key, as trust roots store it. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const { x } = publicKey.export({ format: 'jwk' });
  return Buffer.from(x ?? '', 'base64url');
}

/** @returns undefined when the bytes are not an Ed25519 public key */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject | undefined {
  if (raw.byteLength !== RAW_PUBLIC_KEY_BYTES) return undefined;
  try {
    const x = Buffer.from(raw).toString('base64url');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/** A new Ed25519 key pair as PEM (PKCS#8 private, SPKI public), with its keyid. */
export function generateKeyPair(): { privatePem: string; publicPem: string; keyid: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyid: keyIdOf(publicKey),
  };
}

/** Reads a PEM private key for signing. @throws ManifestError E_READ or E_KEY */
export function readSigningKey(file: string): SigningKey {
  const privateKey = readKey(file, createPrivateKey);
  return { keyid: keyIdOf(createPublicKey(privateKey)), privateKey };
}

/** Reads a PEM public key (or a private one, whose public half is taken). @throws ManifestError E_READ or E_KEY */
export function readPublicKey(file: string): KeyObject {
  return readKey(file, createPublicKey);
}

function readKey(file: string, create: (pem: string) => KeyObject): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new ManifestError('E_READ', file, text, undefined, { cause: error });
  }
  let key: KeyObject;
  try {
    key = create(pem);
  } catch (error) {
    const text = `not a PEM key: ${error instanceof Error ? error.message : String(error)}`;
    throw new ManifestError('E_KEY', file, text, undefined, { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ManifestError('E_KEY', file, `is a ${key.asymmetricKeyType ?? 'symmetric'} key, not Ed25519`);
  }
  return key;
}
