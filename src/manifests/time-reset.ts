import { createHash } from 'node:crypto';
import schema from '../../manifests/schema/time-reset.schema.json' with { type: 'json' };
import { parseBoundedJson } from './bounded-json.js';
import { parseEnvelope, PAYLOAD_TYPES } from './dsse-envelope.js';
import { ManifestError } from './manifest-error.js';
import type { RollbackState } from './rollback-state.js';
import { verifyThreshold, type Signer } from './signature-threshold.js';
import { compileStrictSchema } from './strict-schema.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';
import { walkTrustChain } from './trust-chain.js';
import { ConfinedFolder } from './confined-file.js';

/** The payload of a time reset, as manifests/schema/time-reset.schema.json describes it. */
export interface TimeResetDocument {
  readonly number: number;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** A time reset that was applied, and whose root keys signed it. */
export interface AppliedTimeReset extends TimeResetDocument {
  readonly rootVersion: number;
  readonly signers: readonly Signer[];
}

const validateDocument = compileStrictSchema<TimeResetDocument>(schema, 'E_SCHEMA');

/** The payload of a time reset, for `persona trust reset-time` to sign. */
export function timeResetPayload(document: TimeResetDocument): Uint8Array {
  const { number, from, to, reason } = document;
  return new TextEncoder().encode(`${JSON.stringify({ number, from, to, reason }, null, 2)}\n`);
}

/**
 * Verifies a signed time reset and applies it to `state`, which it saves: the trusted time
 * becomes `to` and every version record stays, so rollback protection is kept.
 *
 * It must be signed by a threshold of the root role of the newest trust root the chain in
 * `trustDir` leads to from the root the state pinned. That root is not judged for expiry: a
 * trusted time carried too far may be exactly what made it look expired. Lowering the trusted
 * time weakens freeze protection, so it takes the keys that may replace every key. A reset is
 * bound to one state (`from` must be its time on file) and applied once (`number` must be
 * higher than the last reset applied), so a copy kept or replayed changes nothing.
 * @throws ManifestError E_SIGNATURE or E_THRESHOLD (root keys), E_TARGET (another state's
 *   time), E_ROLLBACK (a number applied before), E_SCHEMA, E_STATE (cannot be written), …
 */
export function applyTimeReset(bytes: Uint8Array, file: string, trustDir: string, state: RollbackState): AppliedTimeReset {
  const root = walkTrustChain(new ConfinedFolder(trustDir), state);
  const envelope = parseEnvelope(bytes, file, PAYLOAD_TYPES.timeReset);
  const signers = verifyThreshold(envelope, root.roles.root, file);
  const document = validateDocument(parseBoundedJson(envelope.payload, file), file);
  const from = parseTimestamp(document.from, file, '/from', 'E_SCHEMA');
  const to = parseTimestamp(document.to, file, '/to', 'E_SCHEMA');
  const last = state.lastTimeReset;
  if (last !== undefined && document.number <= last.version) {
    throw new ManifestError('E_ROLLBACK', file, `${document.number} is not after time reset ${last.version}, applied before`, '/number');
  }
  const onFile = state.timeOnFile;
  if (onFile !== from) {
    const held = onFile === undefined ? `${state.file} does not exist` : `the time on file is ${formatTimestamp(onFile)}`;
    throw new ManifestError('E_TARGET', file, `is ${document.from}, but ${held}: the reset was signed for another state`, '/from');
  }
  state.resetTime(to, { version: document.number, digest: createHash('sha256').update(envelope.payload).digest('hex') });
  state.save();
  return { ...document, rootVersion: root.version, signers };
}
