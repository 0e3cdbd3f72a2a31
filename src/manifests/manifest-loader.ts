import { createHash } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import { readDocumentFile } from './document-file.js';
import { resolvePersonality, type Candidate } from './inheritance.js';
import { ManifestError } from './manifest-error.js';
import { ManifestIndex, type VerifiedFile } from './manifest-index.js';
import { listWithAdopted, type ManifestLocation } from './manifest-layout.js';
import { parseManifest, type ManifestDocument } from './manifest-validator.js';
import type { ManifestVerifier } from './manifest-verifier.js';
import { missingMapping, ParameterMapping } from './parameter-mapping.js';
import type { Personality } from './personality.js';
import type { RollbackState } from './rollback-state.js';
import { describeJudgingTime, judgingTime } from './trusted-time.js';

export interface LoadOptions {
  /** This ECU's instance profile: its manifests win over the driver's generic ones. */
  readonly instanceProfile?: string;
  /** Personalities adopted from a shared namespace, laid out like `dir`: each replaces the bundled one of its key. */
  readonly adoptedDir?: string;
  /** Anti-rollback and freeze protection; without it, nothing is remembered between loads. */
  readonly rollback?: RollbackState;
  /** Wall clock, ms since the epoch (Date.now by default). */
  readonly now?: () => number;
}

export interface LoadInput {
  readonly dir: string;
  readonly verifier: ManifestVerifier;
  readonly logger: Logger;
  readonly options: LoadOptions;
  /** The index in force: a file rejected now falls back on what it held for the same place. */
  readonly previous: ManifestIndex;
  /** Verified files by trust and digest, from the previous load. */
  readonly cache: ReadonlyMap<string, VerifiedFile>;
}

/** A new index, and the verifications it used, to cache for the next load. */
export interface Generation {
  readonly index: ManifestIndex;
  readonly cache: ReadonlyMap<string, VerifiedFile>;
}

/**
 * Loads every manifest for this ECU, file by file and all-or-nothing per file: a
 * bad file is rejected with its reason and never displaces a good one. Ends by
 * saving the anti-rollback state (a write only when it learnt something new); the
 * new index is only returned once that worked, so no version is used before it is
 * on file. A load that fails writes nothing: whatever made it fail (a clock far
 * ahead, above all) must not outlive it on file.
 * @throws ManifestError when nothing can be trusted (trust root, state): the caller keeps its index
 * @throws DocumentError when a driver's mapping is invalid
 */
export function loadGeneration(input: LoadInput): Generation {
  const { dir, verifier, logger, options } = input;
  const clock = options.now ?? Date.now;
  const time = judgingTime(clock(), options.rollback);
  const loader = new GenerationLoader(input, time, verifier.refresh(time));
  const byDriver = new Map<string, ReadonlyMap<string, Personality>>();
  for (const { driverId, locations } of listWithAdopted(dir, options.adoptedDir, options.instanceProfile, logger)) {
    const personalities = loader.driver(driverId, locations);
    if (personalities.size > 0) byDriver.set(driverId, personalities);
  }
  const generation = { index: new ManifestIndex(byDriver, Object.freeze(loader.rejected), loader.admitted), cache: loader.cache };
  options.rollback?.save();
  return generation;
}

class GenerationLoader {
  readonly rejected: ManifestError[] = [];
  readonly admitted = new Map<string, VerifiedFile>();
  readonly cache = new Map<string, VerifiedFile>();

  constructor(
    private readonly input: LoadInput,
    /** The instant this load judges expiry at (see judgingTime): one for every expiry. */
    private readonly time: number,
    private readonly trustId: string,
  ) {}

  /** One driver's personalities for this ECU: the most specific manifest per name, resolved. */
  driver(driverId: string, locations: readonly ManifestLocation[]): Map<string, Personality> {
    const mapping = ParameterMapping.find(this.input.dir, driverId);
    const candidates = new Map<string, Candidate>();
    // Generic locations come first, so the instance profile's manifest replaces the generic one.
    for (const location of locations) {
      const admitted = this.admit(location, mapping);
      if (admitted !== undefined) candidates.set(location.name, { ...admitted, file: location.file });
    }
    const personalities = new Map<string, Personality>();
    // Without a mapping every file was rejected: there is nothing to resolve.
    if (mapping === undefined) return personalities;
    for (const candidate of candidates.values()) {
      try {
        personalities.set(candidate.document.name, resolvePersonality(candidate, candidates, mapping));
      } catch (error) {
        this.reject(error);
      }
    }
    return personalities;
  }

  /** The file at `location` if it passes every check, else what the previous index admitted there. */
  private admit(location: ManifestLocation, mapping: ParameterMapping | undefined): VerifiedFile | undefined {
    try {
      return this.check(location, this.verified(location.file), mapping);
    } catch (error) {
      this.reject(error);
    }
    const previous = this.input.previous.admitted.get(location.key);
    if (previous === undefined || previous.trustId !== this.trustId) return undefined;
    try {
      this.check(location, previous, mapping);
      this.input.logger.warn(`kept version ${previous.document.version} of ${location.key} in place of the rejected file`);
      return previous;
    } catch (error) {
      this.reject(error);
      return undefined;
    }
  }

  /** Verified and parsed, or taken from the cache when the same bytes were verified under the same trust. */
  private verified(file: string): VerifiedFile {
    const bytes = readDocumentFile(file);
    const key = `${this.trustId} ${createHash('sha256').update(bytes).digest('hex')}`;
    let verified = this.input.cache.get(key) ?? this.cache.get(key);
    if (verified === undefined) {
      const { payload, trust } = this.input.verifier.verify(bytes, file);
      verified = { trustId: this.trustId, document: parseManifest(payload, file), trust };
    }
    this.cache.set(key, verified);
    return verified;
  }

  /** What depends on where the file is, on the driver and on time: never cached. Admits it to the rollback state last. */
  private check(location: ManifestLocation, verified: VerifiedFile, mapping: ParameterMapping | undefined): VerifiedFile {
    const { document } = verified;
    const { file } = location;
    checkTarget(location, document);
    if (document.expiresAt !== undefined) this.input.options.rollback?.expiryJudged(document.expiresAt);
    if (document.expiresAt !== undefined && this.time >= document.expiresAt) {
      const text = `expired at ${document.expires} (${describeJudgingTime(this.time, this.input.options.rollback?.trusted)})`;
      throw new ManifestError('E_EXPIRED', file, text, '/expires');
    }
    if (mapping === undefined) throw missingMapping(this.input.dir, location.driverId, file);
    mapping.check(document.parameters, file);
    this.input.options.rollback?.admit(location.key, { version: document.version, digest: document.digest }, file);
    this.admitted.set(location.key, verified);
    return verified;
  }

  private reject(error: unknown): void {
    if (!(error instanceof ManifestError)) throw error;
    this.rejected.push(error);
    this.input.logger.warn(`rejected ${error.message} [${error.code}]`);
  }
}

/**
 * The checks a candidate for `location` can pass or fail on its own, before it is put
 * anywhere: signature and trust, payload schema, target, expiry, the driver's mapping, and
 * the anti-rollback state (asked, not told). Inheritance and the load as a whole come
 * later, in a real load.
 * @throws ManifestError naming `origin`
 */
export function vetCandidate(input: Pick<LoadInput, 'dir' | 'verifier' | 'options'>, location: ManifestLocation, bytes: Uint8Array, origin: string): VerifiedFile {
  const { verifier, options } = input;
  const clock = options.now ?? Date.now;
  const time = judgingTime(clock(), options.rollback);
  const trustId = verifier.refresh(time);
  const { payload, trust } = verifier.verify(bytes, origin);
  const document = parseManifest(payload, origin);
  checkTarget({ ...location, file: origin }, document);
  if (document.expiresAt !== undefined) options.rollback?.expiryJudged(document.expiresAt);
  if (document.expiresAt !== undefined && time >= document.expiresAt) {
    throw new ManifestError('E_EXPIRED', origin, `expired at ${document.expires} (${describeJudgingTime(time, options.rollback?.trusted)})`, '/expires');
  }
  const mapping = ParameterMapping.find(input.dir, location.driverId);
  if (mapping === undefined) throw missingMapping(input.dir, location.driverId, origin);
  mapping.check(document.parameters, origin);
  options.rollback?.check(location.key, { version: document.version, digest: document.digest }, origin);
  return { trustId, document, trust };
}

/**
 * Mix-and-match: a manifest signed for one driver, name or instance profile must
 * not be used as another by copying it elsewhere.
 * @throws ManifestError E_TARGET
 */
function checkTarget(location: ManifestLocation, document: ManifestDocument): void {
  const { file, driverId, profile, name } = location;
  const fail = (path: string, text: string): ManifestError => new ManifestError('E_TARGET', file, text, path);
  if (document.driverId !== driverId) throw fail('/driver/id', `is for driver "${document.driverId}", not "${driverId}" of its folder`);
  if (document.name !== name) throw fail('/name', `is "${document.name}", but the file is named for "${name}"`);
  const profiles = document.instanceProfiles;
  if (profile === undefined && profiles.length > 0) {
    throw fail('/instanceProfiles', `is for instance profiles ${profiles.join(', ')}, not for the driver's generic folder`);
  }
  if (profile !== undefined && !profiles.includes(profile)) {
    const written = profiles.length === 0 ? 'every instance profile: its place is the generic folder' : `instance profiles ${profiles.join(', ')}`;
    throw fail('/instanceProfiles', `is for ${written}, not "${profile}" of its folder`);
  }
}
