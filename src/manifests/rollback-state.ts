import { readFileSync } from 'node:fs';
import { writeDurably } from '../common/durable-file.js';
import { ManifestError } from './manifest-error.js';
import schema from './rollback-state.schema.json' with { type: 'json' };
import { compileStrictSchema } from './strict-schema.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';

/** A version trusted once, and the sha256 (hex) of its payload. */
export interface VersionRecord {
  readonly version: number;
  readonly digest: string;
}

interface StateDocument {
  format: 1;
  latestTime: string;
  root?: VersionRecord;
  personalities: Record<string, VersionRecord>;
}

const validateState = compileStrictSchema<StateDocument>(schema, 'E_STATE');
const UNUSABLE = 'manifests are not loaded until it is restored; deleting it gives up rollback protection';

/**
 * Anti-rollback and freeze protection, persisted: per personality the highest
 * version trusted and its digest, the newest trust root, and the latest time seen.
 * Everything it learns only ever raises what it holds, in memory at once and on
 * disk at save(); a state file that cannot be read stops loading rather than
 * starting again from nothing.
 */
export class RollbackState {
  private constructor(
    readonly file: string,
    private latestTime: number,
    private root: VersionRecord | undefined,
    private readonly personalities: Map<string, VersionRecord>,
  ) {}

  /**
   * Reads the state file; a missing file is a first start with nothing seen yet.
   * @throws ManifestError E_STATE when it exists but cannot be read or is not valid
   */
  static open(file: string): RollbackState {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new RollbackState(file, 0, undefined, new Map());
      throw unusable(file, 'cannot be read', error);
    }
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      throw unusable(file, 'is corrupt', error);
    }
    try {
      const document = validateState(data, file);
      const latestTime = parseTimestamp(document.latestTime, file, '/latestTime', 'E_STATE');
      return new RollbackState(file, latestTime, document.root, new Map(Object.entries(document.personalities)));
    } catch (error) {
      throw unusable(file, 'is corrupt', error);
    }
  }

  /**
   * The later of the clock and the latest time seen before, remembered: a clock
   * set back cannot bring an expired manifest or trust root back to life.
   */
  trustedTime(clockMs: number): number {
    this.latestTime = Math.max(this.latestTime, clockMs);
    return this.latestTime;
  }

  /** The newest trust root trusted so far, if any. */
  get pinnedRoot(): VersionRecord | undefined {
    return this.root;
  }

  pinRoot(record: VersionRecord): void {
    this.root = record;
  }

  /**
   * Admits one version of the personality stored at `key`, or refuses it.
   * @throws ManifestError E_ROLLBACK (older than trusted before) or E_SUBSTITUTION (same version, other bytes)
   */
  admit(key: string, record: VersionRecord, file: string): void {
    this.check(key, record, file);
    this.personalities.set(key, record);
  }

  /**
   * Whether `admit` would take this version, without remembering it.
   * @throws ManifestError E_ROLLBACK or E_SUBSTITUTION
   */
  check(key: string, record: VersionRecord, file: string): void {
    const seen = this.personalities.get(key);
    if (seen !== undefined && record.version < seen.version) {
      const text = `${record.version} is older than version ${seen.version}, trusted before`;
      throw new ManifestError('E_ROLLBACK', file, text, '/version');
    }
    if (seen !== undefined && record.version === seen.version && record.digest !== seen.digest) {
      const text = `${record.version} was trusted before with other content (sha256 ${seen.digest})`;
      throw new ManifestError('E_SUBSTITUTION', file, text, '/version');
    }
  }

  /**
   * Writes the state atomically: a temporary file, flushed, renamed over the old
   * one, and the folder flushed, so a power cut leaves the old state or the new.
   * @throws ManifestError E_STATE
   */
  save(): void {
    const document: StateDocument = {
      format: 1,
      latestTime: formatTimestamp(Math.floor(this.latestTime / 1000) * 1000),
      ...(this.root === undefined ? {} : { root: this.root }),
      personalities: Object.fromEntries([...this.personalities].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
    try {
      writeDurably(this.file, `${JSON.stringify(document, null, 2)}\n`, { file: 0o600, folder: 0o700 });
    } catch (error) {
      const text = `cannot be written: ${error instanceof Error ? error.message : String(error)}`;
      throw new ManifestError('E_STATE', this.file, text, undefined, { cause: error });
    }
  }
}

function unusable(file: string, what: string, error: unknown): ManifestError {
  const why = error instanceof ManifestError ? error.reason : error instanceof Error ? error.message : String(error);
  return new ManifestError('E_STATE', file, `${what} (${why}): ${UNUSABLE}`, undefined, { cause: error });
}
