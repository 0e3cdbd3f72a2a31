import { sign, type KeyObject } from 'node:crypto';
import schema from '../../manifests/schema/dsse-envelope.schema.json' with { type: 'json' };
import { parseBoundedJson } from './bounded-json.js';
import { ManifestError } from './manifest-error.js';
import { compileStrictSchema } from './strict-schema.js';

/**
 * What a payload is. It is part of what is signed, so a signature over one kind of
 * document can never be passed off as one over another (a trust root as a personality).
 */
export const PAYLOAD_TYPES = {
  personality: 'application/vnd.persona.personality+json',
  root: 'application/vnd.persona.root+json',
  timeReset: 'application/vnd.persona.time-reset+json',
} as const;

export type PayloadType = (typeof PAYLOAD_TYPES)[keyof typeof PAYLOAD_TYPES];

export interface EnvelopeSignature {
  /** Names the key to try; unauthenticated until the signature verifies with that key. */
  readonly keyid: string;
  readonly sig: Uint8Array;
}

/** A DSSE envelope with its base64 decoded: nothing in it is trusted yet. */
export interface Envelope {
  readonly payloadType: PayloadType;
  readonly payload: Uint8Array;
  readonly signatures: readonly EnvelopeSignature[];
}

/** A key that signs: its keyid and the private key. */
export interface SigningKey {
  readonly keyid: string;
  readonly privateKey: KeyObject;
}

interface EnvelopeDocument {
  payloadType: string;
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

const validateEnvelope = compileStrictSchema<EnvelopeDocument>(schema, 'E_ENVELOPE');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads an envelope of the expected type. Only the envelope is parsed here; the
 * payload stays bytes until a verifier has checked the signatures over them.
 * @throws ManifestError E_SIZE, E_DEPTH, E_JSON, E_ENVELOPE, E_PAYLOAD_TYPE or E_BASE64
 */
export function parseEnvelope(bytes: Uint8Array, file: string, expected: PayloadType): Envelope {
  const document = validateEnvelope(parseBoundedJson(bytes, file), file);
  if (document.payloadType !== expected) {
    const text = `is ${JSON.stringify(document.payloadType)}, expected ${JSON.stringify(expected)}`;
    throw new ManifestError('E_PAYLOAD_TYPE', file, text, '/payloadType');
  }
  return {
    payloadType: expected,
    payload: decodeBase64(document.payload, file, '/payload'),
    signatures: document.signatures.map(({ keyid, sig }, i) => ({
      keyid,
      sig: decodeBase64(sig, file, `/signatures/${i}/sig`),
    })),
  };
}

/**
 * DSSE's pre-authentication encoding: what is actually signed. Lengths are in
 * bytes, so no payload can be read as a different type and payload.
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const header = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.byteLength} `, 'utf8');
  return Buffer.concat([header, payload]);
}

/** Signs `payload` with every key and returns the envelope as the file to write. */
export function signEnvelope(payloadType: PayloadType, payload: Uint8Array, keys: readonly SigningKey[]): Uint8Array {
  const message = preAuthEncoding(payloadType, payload);
  const document: EnvelopeDocument = {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: keys.map(({ keyid, privateKey }) => ({
      keyid,
      sig: sign(null, message, privateKey).toString('base64'),
    })),
  };
  return new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
}

/**
 * Standard alphabet, padded, and canonical (unused bits zero): exactly one text
 * per byte string, where Node's own decoder skips what it does not understand.
 * @throws ManifestError E_BASE64
 */
export function decodeBase64(text: string, file: string, path: string): Buffer {
  const bytes = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (bytes === undefined || bytes.toString('base64') !== text) {
    throw new ManifestError('E_BASE64', file, 'is not canonical padded base64', path);
  }
  return bytes;
}
