import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfinedFolder } from '../manifests/confined-file.js';
import { PAYLOAD_TYPES, signEnvelope } from '../manifests/dsse-envelope.js';
import { readPublicKey, readSigningKey } from '../manifests/ed25519-keys.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { parseTimestamp } from '../manifests/timestamp.js';
import { ANCHOR_FILE, rotationFile, walkTrustChain } from '../manifests/trust-chain.js';
import { ROLE_NAMES, TrustRoot, trustRootPayload, type RoleName, type RoleSpec } from '../manifests/trust-root.js';
import { createFile } from './manifest-command.js';
import { EXIT_FAILURE, UsageError, type Output } from './output.js';
import { TIME_RESET_HELP, timeResetCommand } from './time-reset-command.js';

export const TRUST_HELP = `persona trust init --out DIR --root-key PUBLIC.pem… --personalities-key PUBLIC.pem…
                   --sign PRIVATE.pem… --expires TIME [--root-threshold N] [--personalities-threshold N]
  write DIR/${ANCHOR_FILE}, trust root version 1, signed by the --sign keys (a threshold of its root keys)
persona trust rotate --trust DIR --sign PRIVATE.pem… --expires TIME [--root-key PUBLIC.pem…]
                     [--personalities-key PUBLIC.pem…] [--root-threshold N] [--personalities-threshold N]
  write DIR/N.root.json, the next version: the roles given get new keys, the others keep theirs.
  The --sign keys must hold a threshold of the current root keys and one of the new root keys.
  A key's name is its file name without .public.pem; TIME is UTC, e.g. 2030-01-01T00:00:00Z
${TIME_RESET_HELP}`;

const OPTIONS = {
  'root-key': { type: 'string', multiple: true },
  'personalities-key': { type: 'string', multiple: true },
  'root-threshold': { type: 'string' },
  'personalities-threshold': { type: 'string' },
  sign: { type: 'string', multiple: true },
  expires: { type: 'string' },
} as const;

type TrustValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS & { out: { type: 'string' }; trust: { type: 'string' } } }>>['values'];

export function trustCommand(args: string[], out: Output): number {
  const [sub, ...rest] = args;
  if (sub !== 'init' && sub !== 'rotate' && sub !== 'time' && sub !== 'reset-time' && sub !== 'apply-reset') {
    throw new UsageError(`trust: expected init, rotate, time, reset-time or apply-reset\n\n${TRUST_HELP}`);
  }
  try {
    if (sub === 'time' || sub === 'reset-time' || sub === 'apply-reset') return timeResetCommand(sub, rest, out);
    const { values } = parseArgs({ args: rest, options: { ...OPTIONS, out: { type: 'string' }, trust: { type: 'string' } }, strict: true });
    return sub === 'init' ? init(values, out) : rotate(values, out);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    out.log(`${error.message} [${error.code}]`);
    return EXIT_FAILURE;
  }
}

function init(values: TrustValues, out: Output): number {
  if (values.out === undefined) throw new UsageError('trust init: --out DIR is required');
  const roles = {} as Record<RoleName, RoleSpec>;
  for (const role of ROLE_NAMES) {
    roles[role] = roleSpec(values, role, undefined) ?? fail(`trust init: --${role}-key is required`);
  }
  const file = join(values.out, ANCHOR_FILE);
  const bytes = signedRoot(1, values, roles);
  TrustRoot.open(bytes, file);
  // The anchor of a chain is never replaced, only rotated away from.
  createFile(file, bytes);
  out.print(`${file}: trust root v1, expires ${values.expires ?? ''}`);
  return 0;
}

function rotate(values: TrustValues, out: Output): number {
  if (values.trust === undefined) throw new UsageError('trust rotate: --trust DIR is required');
  const current = walkTrustChain(new ConfinedFolder(values.trust));
  const roles = {} as Record<RoleName, RoleSpec>;
  for (const role of ROLE_NAMES) roles[role] = roleSpec(values, role, current) ?? current.spec(role);
  const version = current.version + 1;
  const file = join(values.trust, rotationFile(version));
  const bytes = signedRoot(version, values, roles);
  // What every car will check, checked before anything is written.
  const next = current.next(bytes, file);
  createFile(file, bytes);
  out.print(`${file}: trust root v${version}, expires ${next.expires}, signed by ${next.signers.map((s) => s.name).join(', ')}`);
  return 0;
}

/** The role's keys from the command line, with its threshold; undefined when no keys are given. */
function roleSpec(values: TrustValues, role: RoleName, current: TrustRoot | undefined): RoleSpec | undefined {
  const files = values[`${role}-key`];
  const given = values[`${role}-threshold`];
  if (files === undefined) {
    if (given !== undefined) throw new UsageError(`trust: --${role}-threshold needs --${role}-key`);
    return undefined;
  }
  const threshold = given === undefined ? (current?.roles[role].threshold ?? 1) : Number(given);
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new UsageError(`trust: --${role}-threshold must be a positive integer`);
  return { keys: files.map((f) => ({ publicKey: readPublicKey(f), name: keyName(f) })), threshold };
}

function signedRoot(version: number, values: TrustValues, roles: Record<RoleName, RoleSpec>): Uint8Array {
  const keys = (values.sign ?? []).map(readSigningKey);
  if (keys.length === 0) throw new UsageError('trust: --sign PRIVATE.pem is required');
  if (values.expires === undefined) throw new UsageError('trust: --expires TIME is required');
  parseTimestamp(values.expires, '--expires', '', 'E_SCHEMA');
  return signEnvelope(PAYLOAD_TYPES.root, trustRootPayload(version, values.expires, roles), keys);
}

/** `keys/release-2027.public.pem` → `release-2027`. */
function keyName(file: string): string {
  return basename(file).replace(/(\.public|\.private)?\.pem$/, '');
}

function fail(message: string): never {
  throw new UsageError(message);
}
