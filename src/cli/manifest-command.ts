import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../common/package-root.js';
import { DocumentError } from '../common/schema.js';
import { ConfinedFolder, readNamedFile } from '../manifests/confined-file.js';
import { PAYLOAD_TYPES, signEnvelope, type SigningKey } from '../manifests/dsse-envelope.js';
import { generateKeyPair, readSigningKey } from '../manifests/ed25519-keys.js';
import { explainPersonality } from '../manifests/explain.js';
import { resolvePersonality, type Candidate } from '../manifests/inheritance.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { MANIFEST_SUFFIX } from '../manifests/personality-place.js';
import { ManifestStore } from '../manifests/manifest-store.js';
import { parseManifest } from '../manifests/manifest-validator.js';
import { UNSIGNED_TRUST } from '../manifests/manifest-verifier.js';
import { missingMapping, ParameterMapping } from '../manifests/parameter-mapping.js';
import { SignedManifestVerifier } from '../manifests/signed-manifest-verifier.js';
import { EXIT_FAILURE, UsageError, type Output } from './output.js';

export const MANIFEST_HELP = `persona manifest keygen --out PREFIX
  make an Ed25519 key pair: PREFIX.private.pem (mode 0600; keep it off the car) and PREFIX.public.pem
persona manifest sign --key PRIVATE.pem [--key …] (--out FILE | --out-dir DIR) SOURCE.json…
  sign personality sources (checked against the schema first) into <name>${MANIFEST_SUFFIX} envelopes
persona manifest verify [--manifests DIR] [--trust DIR] FILE${MANIFEST_SUFFIX}…
  check signatures against the trust root chain, then schema, units and the driver's mapping
persona manifest lint [--manifests DIR] SOURCE.json…
  check unsigned sources: schema, units, the driver's mapping, inheritance among the files given
persona manifest explain [--manifests DIR] [--trust DIR] [--profile NAME] DRIVER/NAME
  show a personality fully resolved: inherited values, units, driver parameters, signatures
  (defaults: the package's manifests/ and its trust/ folder; exit code 1 if any file is refused)
`;

const FOLDERS = {
  manifests: { type: 'string' },
  trust: { type: 'string' },
} as const;

export function manifestCommand(args: string[], out: Output): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'keygen':
      return keygen(rest, out);
    case 'sign':
      return sign(rest, out);
    case 'verify':
      return verify(rest, out);
    case 'lint':
      return lint(rest, out);
    case 'explain':
      return explain(rest, out);
    default:
      throw new UsageError(`manifest: expected keygen, sign, verify, lint or explain\n\n${MANIFEST_HELP}`);
  }
}

function keygen(args: string[], out: Output): number {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true });
  if (values.out === undefined) throw new UsageError(`manifest keygen: --out PREFIX is required`);
  const { privatePem, publicPem, keyid } = generateKeyPair();
  const [privateFile, publicFile] = [`${values.out}.private.pem`, `${values.out}.public.pem`];
  // Whatever was there may be someone's only copy of a key.
  createFile(privateFile, privatePem, 0o600);
  createFile(publicFile, publicPem);
  out.print(`${privateFile}: private key; keep it off the car and out of version control`);
  out.print(`${publicFile}: public key, keyid ${keyid}`);
  return 0;
}

function sign(args: string[], out: Output): number {
  const { values, positionals } = parseArgs({
    args,
    options: { key: { type: 'string', multiple: true }, out: { type: 'string' }, 'out-dir': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.key === undefined || positionals.length === 0) throw new UsageError('manifest sign: --key and at least one source are required');
  if ((values.out === undefined) === (values['out-dir'] === undefined) || (values.out !== undefined && positionals.length > 1)) {
    throw new UsageError('manifest sign: give --out FILE for one source, or --out-dir DIR');
  }
  let keys: SigningKey[];
  try {
    keys = values.key.map(readSigningKey);
  } catch (error) {
    return report(error, out);
  }
  return eachFile(positionals, out, (source) => {
    const payload = readNamedFile(source);
    const { name, driverId, version } = parseManifest(payload, source);
    const target = values.out ?? join(values['out-dir'] ?? '.', `${name}${MANIFEST_SUFFIX}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, signEnvelope(PAYLOAD_TYPES.personality, payload, keys));
    return `signed ${driverId}/${name} v${version} into ${target} (${keys.map((k) => k.keyid.slice(0, 16)).join(', ')})`;
  });
}

function verify(args: string[], out: Output): number {
  const { values, positionals } = parseArgs({ args, options: FOLDERS, allowPositionals: true, strict: true });
  const manifests = values.manifests ?? join(packageRoot(), 'manifests');
  const verifier = new SignedManifestVerifier(ConfinedFolder.within(values.trust ?? join(manifests, 'trust'), manifests));
  try {
    verifier.refresh(Date.now());
  } catch (error) {
    return report(error, out);
  }
  return eachFile(positionals, out, (file) => {
    const { payload, trust } = verifier.verify(readNamedFile(file), file);
    const document = parseManifest(payload, file);
    loadMapping(manifests, document.driverId, file).check(document.parameters, file);
    const signers = trust.signers.map((s) => s.name).join(', ');
    return `ok ${document.driverId}/${document.name} v${document.version}, signed by ${signers} (${trust.signers.length} of ${trust.threshold} required, trust root v${trust.rootVersion ?? '-'})`;
  });
}

function lint(args: string[], out: Output): number {
  const { values, positionals } = parseArgs({ args, options: { manifests: FOLDERS.manifests }, allowPositionals: true, strict: true });
  const manifests = values.manifests ?? join(packageRoot(), 'manifests');
  const candidates: Candidate[] = [];
  const failed = eachFile(positionals, out, (file) => {
    const document = parseManifest(readNamedFile(file), file);
    loadMapping(manifests, document.driverId, file).check(document.parameters, file);
    candidates.push({ document, file, trust: UNSIGNED_TRUST });
    return undefined;
  });
  // Inheritance once every file is known: among the files given, of the same driver.
  let unresolved = 0;
  for (const candidate of candidates) {
    const { document, file } = candidate;
    const sameDriver = candidates.filter((c) => c.document.driverId === document.driverId);
    const byName = new Map([...sameDriver.map((c): [string, Candidate] => [c.document.name, c]), [document.name, candidate]]);
    try {
      const { resolved } = resolvePersonality(candidate, byName, loadMapping(manifests, document.driverId, file));
      out.print(`${file}: ok ${document.driverId}/${document.name} v${document.version}, ${resolved.length} parameters`);
    } catch (error) {
      unresolved = report(error, out);
    }
  }
  return Math.max(failed, unresolved);
}

function explain(args: string[], out: Output): number {
  const { values, positionals } = parseArgs({
    args,
    options: { ...FOLDERS, profile: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [driverId, name, extra] = (positionals[0] ?? '').split('/');
  if (positionals.length !== 1 || driverId === undefined || name === undefined || extra !== undefined) {
    throw new UsageError('manifest explain: give one personality as DRIVER/NAME');
  }
  const manifests = values.manifests ?? join(packageRoot(), 'manifests');
  const verifier = new SignedManifestVerifier(ConfinedFolder.within(values.trust ?? join(manifests, 'trust'), manifests));
  try {
    const store = ManifestStore.load(manifests, verifier, undefined, { instanceProfile: values.profile });
    const personality = store.get(driverId, name);
    if (personality !== undefined) {
      for (const line of explainPersonality(personality)) out.print(line);
      return 0;
    }
    out.log(`${driverId}/${name}: not loaded from ${manifests}`);
    const own = store.rejected.filter((e) => basename(e.file) === `${name}${MANIFEST_SUFFIX}` && e.file.includes(`/${driverId}/`));
    for (const error of own) out.log(`  ${error.message} [${error.code}]`);
    return EXIT_FAILURE;
  } catch (error) {
    return report(error, out);
  }
}

/** Runs `task` per file, printing its line or its error; the exit code is 1 if any failed. */
function eachFile(files: readonly string[], out: Output, task: (file: string) => string | undefined): number {
  if (files.length === 0) throw new UsageError('manifest: no files given');
  let failed = 0;
  for (const file of files) {
    try {
      const line = task(file);
      if (line !== undefined) out.print(`${file}: ${line}`);
    } catch (error) {
      failed = report(error, out);
    }
  }
  return failed;
}

/** Prints what is wrong with the input; anything else is a bug and propagates. */
function report(error: unknown, out: Output): number {
  if (error instanceof ManifestError) out.log(`${error.message} [${error.code}]`);
  else if (error instanceof DocumentError) out.log(error.message);
  else throw error;
  return EXIT_FAILURE;
}

function loadMapping(manifests: string, driverId: string, file: string): ParameterMapping {
  const mapping = ParameterMapping.find(manifests, driverId);
  if (mapping === undefined) throw missingMapping(manifests, driverId, file);
  return mapping;
}

/** Writes a file that must not exist yet: keys and trust roots are never overwritten. */
export function createFile(file: string, data: string | Uint8Array, mode = 0o644): void {
  try {
    writeFileSync(file, data, { flag: 'wx', mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new UsageError(`${file} exists already and is not overwritten`);
  }
}
