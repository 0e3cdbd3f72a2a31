import { createHash } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import { resolvePersonality } from './inheritance.js';
import { ManifestError } from './manifest-error.js';
import { ManifestIndex, type VerifiedFile } from './manifest-index.js';
import { listWithAdopted, readManifestFile, type ManifestLocation } from './manifest-layout.js';
import { parseManifest, type ManifestDocument } from './manifest-validator.js';
import type { ManifestVerifier } from './manifest-verifier.js';
import { missingMapping, ParameterMapping } from './parameter-mapping.js';
import type { Personality } from './personality.js';
import type { RollbackState } from './rollback-state.js';
import { describeJudgingTime, judgingTime } from './trusted-time.js';

export interface LoadOptions {
  /** This ECU's instance profile: its manifests win over the driver's generic ones of the same or an older version. */
  readonly instanceProfile?: string;
  /** Personalities adopted from a shared namespace, laid out like `dir`: each wins over the bundled one of its key of the same or an older version. */
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

/** A file for a personality that passed every check of its own, where it sits. */
interface Contender {
  readonly location: ManifestLocation;
  readonly verified: VerifiedFile;
  /** Its place among the driver's locations: the higher, the more specific. */
  readonly rank: number;
}

/** What a location gave: the file to use there, if any, and why its file or the fallback was refused. */
interface Found {
  readonly location: ManifestLocation;
  readonly verified: VerifiedFile | undefined;
  readonly refusals: readonly ManifestError[];
}

/** The anti-rollback state's refusals: a version below what was trusted, or other bytes under it. */
const BELOW_TRUSTED: ReadonlySet<string> = new Set(['E_ROLLBACK', 'E_SUBSTITUTION']);

/** A manifest's refusal; anything else is no reason to refuse a file, and goes on up. */
function asRefusal(error: unknown): ManifestError {
  if (!(error instanceof ManifestError)) throw error;
  return error;
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

  /**
   * One driver's personalities for this ECU: per name the file chosen (see choose), resolved,
   * and only then trusted in the anti-rollback state, so that a version that never resolved
   * cannot shut out the one that does.
   */
  driver(driverId: string, locations: readonly ManifestLocation[]): Map<string, Personality> {
    const mapping = ParameterMapping.find(this.input.dir, driverId);
    const found = locations.map((location): Found => {
      const refusals: ManifestError[] = [];
      return { location, verified: this.admit(location, mapping, refusals), refusals };
    });
    const chosen = this.choose(found);
    const candidates = new Map([...chosen].map(([name, { location, verified }]) => [name, { ...verified, file: location.file }]));
    const personalities = new Map<string, Personality>();
    // Without a mapping every file was rejected: there is nothing to resolve.
    if (mapping === undefined) return personalities;
    for (const [name, { location, verified }] of chosen) {
      try {
        const personality = resolvePersonality(candidates.get(name)!, candidates, mapping);
        const { version, digest } = verified.document;
        this.input.options.rollback?.admit(location.key, { version, digest }, location.file);
        personalities.set(name, personality);
      } catch (error) {
        this.reject(error);
      }
    }
    return personalities;
  }

  /**
   * Per name, the newest file that passed every check of its own; at equal versions the most
   * specific (`found` comes least specific first). Reports what was refused, in load order,
   * but for a version below what was trusted in a file less specific than the one chosen: it
   * would lose to it anyway, as a generic file does on a profile's ECU. A more specific file
   * that is older than the one chosen is refused, as where it sits would have chosen it.
   */
  private choose(found: readonly Found[]): Map<string, Contender> {
    const chosen = new Map<string, Contender>();
    for (const [rank, { location, verified }] of found.entries()) {
      const best = chosen.get(location.name);
      if (verified !== undefined && (best === undefined || verified.document.version >= best.verified.document.version)) chosen.set(location.name, { location, verified, rank });
    }
    for (const [rank, { location, verified, refusals }] of found.entries()) {
      const winner = chosen.get(location.name);
      for (const error of refusals) if (!(winner !== undefined && rank < winner.rank && BELOW_TRUSTED.has(error.code))) this.reject(error);
      if (verified === undefined || winner === undefined) continue;
      if (rank > winner.rank) {
        const text = `${verified.document.version} is older than version ${winner.verified.document.version} of the same personality in ${winner.location.file}`;
        this.reject(new ManifestError('E_ROLLBACK', location.file, text, '/version'));
      } else {
        // Per place, the most specific file kept: for the next load to fall back on.
        this.admitted.set(location.key, verified);
      }
    }
    return chosen;
  }

  /** The file at `location` if it passes every check, else what the previous index admitted there; why not, into `refusals`. */
  private admit(location: ManifestLocation, mapping: ParameterMapping | undefined, refusals: ManifestError[]): VerifiedFile | undefined {
    try {
      return this.check(location, this.verified(location), mapping);
    } catch (error) {
      refusals.push(asRefusal(error));
    }
    const previous = this.input.previous.admitted.get(location.key);
    if (previous === undefined || previous.trustId !== this.trustId) return undefined;
    try {
      this.check(location, previous, mapping);
      this.input.logger.warn(`kept version ${previous.document.version} of ${location.key} in place of the rejected file`);
      return previous;
    } catch (error) {
      refusals.push(asRefusal(error));
      return undefined;
    }
  }

  /** Verified and parsed, or taken from the cache when the same bytes were verified under the same trust. */
  private verified(location: ManifestLocation): VerifiedFile {
    const { file } = location;
    const bytes = readManifestFile(location);
    const key = `${this.trustId} ${createHash('sha256').update(bytes).digest('hex')}`;
    let verified = this.input.cache.get(key) ?? this.cache.get(key);
    if (verified === undefined) {
      const { payload, trust } = this.input.verifier.verify(bytes, file);
      verified = { trustId: this.trustId, document: parseManifest(payload, file), trust };
    }
    this.cache.set(key, verified);
    return verified;
  }

  /** What depends on where the file is, on the driver and on time: never cached. Asks the rollback state last; it is told only once the personality resolves. */
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
    this.input.options.rollback?.check(location.key, { version: document.version, digest: document.digest }, file);
    return verified;
  }

  private reject(error: unknown): void {
    const refusal = asRefusal(error);
    this.rejected.push(refusal);
    this.input.logger.warn(`rejected ${refusal.message} [${refusal.code}]`);
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
