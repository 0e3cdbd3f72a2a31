import { parseArgs } from 'node:util';
import { readNamedFile } from '../manifests/confined-file.js';
import { PAYLOAD_TYPES, signEnvelope } from '../manifests/dsse-envelope.js';
import { readSigningKey } from '../manifests/ed25519-keys.js';
import { RollbackState } from '../manifests/rollback-state.js';
import { applyTimeReset, timeResetPayload } from '../manifests/time-reset.js';
import { formatTimestamp, parseTimestamp } from '../manifests/timestamp.js';
import { createFile } from './manifest-command.js';
import { UsageError, type Output } from './output.js';

export const TIME_RESET_HELP = `persona trust time --state FILE
  show the trusted time the car's anti-rollback state holds, and the number its next time reset takes
persona trust reset-time --number N --from TIME --to TIME --reason TEXT --sign PRIVATE.pem… --out FILE
  write a time reset (off the car, with a threshold of the root keys): the state holding
  exactly the trusted time FROM gets the trusted time TO, and keeps every version it trusted
persona trust apply-reset --trust DIR --state FILE RESET.dsse.json
  check a time reset against the trust root chain and apply it (on the car, persona stopped)
`;

/** `persona trust time | reset-time | apply-reset`. @throws ManifestError, UsageError */
export function timeResetCommand(sub: 'time' | 'reset-time' | 'apply-reset', args: string[], out: Output): number {
  if (sub === 'time') return showTime(args, out);
  if (sub === 'reset-time') return writeReset(args, out);
  return applyReset(args, out);
}

function showTime(args: string[], out: Output): number {
  const { values } = parseArgs({ args, options: { state: { type: 'string' } }, strict: true });
  const state = RollbackState.open(values.state ?? fail('trust time: --state FILE is required'));
  const onFile = state.timeOnFile;
  const next = (state.lastTimeReset?.version ?? 0) + 1;
  out.print(`${state.file}: trusted time ${onFile === undefined ? 'none yet (no file)' : formatTimestamp(onFile)}, next time reset number ${next}`);
  return 0;
}

function writeReset(args: string[], out: Output): number {
  const options = {
    number: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    reason: { type: 'string' },
    sign: { type: 'string', multiple: true },
    out: { type: 'string' },
  } as const;
  const { values } = parseArgs({ args, options, strict: true });
  const number = Number(values.number ?? fail('trust reset-time: --number N is required'));
  if (!Number.isSafeInteger(number) || number < 1) throw new UsageError('trust reset-time: --number must be a positive integer');
  const from = values.from ?? fail('trust reset-time: --from TIME is required');
  const to = values.to ?? fail('trust reset-time: --to TIME is required');
  parseTimestamp(from, '--from', '', 'E_SCHEMA');
  parseTimestamp(to, '--to', '', 'E_SCHEMA');
  const reason = values.reason ?? fail('trust reset-time: --reason TEXT is required');
  const keys = (values.sign ?? []).map(readSigningKey);
  if (keys.length === 0) throw new UsageError('trust reset-time: --sign PRIVATE.pem is required');
  const file = values.out ?? fail('trust reset-time: --out FILE is required');
  createFile(file, signEnvelope(PAYLOAD_TYPES.timeReset, timeResetPayload({ number, from, to, reason }), keys));
  out.print(`${file}: time reset ${number}, ${from} → ${to}`);
  return 0;
}

function applyReset(args: string[], out: Output): number {
  const { values, positionals } = parseArgs({ args, options: { trust: { type: 'string' }, state: { type: 'string' } }, allowPositionals: true, strict: true });
  const trust = values.trust ?? fail('trust apply-reset: --trust DIR is required');
  const statePath = values.state ?? fail('trust apply-reset: --state FILE is required');
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError('trust apply-reset: exactly one RESET.dsse.json is expected');
  const applied = applyTimeReset(readNamedFile(file), file, trust, RollbackState.open(statePath));
  const signers = applied.signers.map((s) => s.name).join(', ');
  out.print(`${statePath}: trusted time ${applied.from} → ${applied.to} (time reset ${applied.number}, signed by ${signers} of trust root v${applied.rootVersion}); every version record kept`);
  return 0;
}

function fail(message: string): never {
  throw new UsageError(message);
}
