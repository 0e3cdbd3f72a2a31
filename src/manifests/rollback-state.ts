import { readFileSync } from 'node:fs';
import { writeDurably } from '../common/durable-file.js';
import { ManifestError } from './manifest-error.js';
import schema from './rollback-state.schema.json' with { type: 'json' };
import { compileStrictSchema } from './strict-schema.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';
import { TrustedTime } from './trusted-time.js';

/** A version trusted once, and the sha256 (hex) of its payload. */
export interface VersionRecord {
  readonly version: number;
  readonly digest: string;
}

interface StateDocument {
  format: 1;
  latestTime: string;
  root?: VersionRecord;
  timeReset?: VersionRecord;
  personalities: Record<string, VersionRecord>;
}

type StateRecords = Pick<StateDocument, 'root' | 'timeReset' | 'personalities'>;

/** What the file holds: its records as JSON text, to compare, and its time. */
interface StoredState {
  readonly records: string;
  readonly time: number;
}

const validateState = compileStrictSchema<StateDocument>(schema, 'E_STATE');
const UNUSABLE = 'manifests are not loaded until it is restored; deleting it gives up rollback protection';

/**
 * How far the trusted time may run ahead of the time on file before it is written for its
 * own sake: at most one write a day, whatever the reload rate. An expiry a load saw pass is
 * written at once (see expiryJudged), so a clock set back can revive only what no load saw
 * expire, and only if it expired within that day.
 */
const TIME_WRITE_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * Anti-rollback and freeze protection, persisted: per manifest location the highest
 * version trusted and its digest (a personality's versions may not go below the highest
 * over its locations), the newest trust root, the trusted time (see TrustedTime) and the
 * last signed time reset applied.
 * Everything it learns only ever raises what it holds, in memory at once and on
 * disk at save(), which writes only what the file does not hold yet (flash wears
 * out); a state file that cannot be read stops loading rather than starting again
 * from nothing.
 */
export class RollbackState {
  /** An expiry judged since the last write lies between the time on file and the trusted time. */
  private expiryPassed = false;
  /** Per personality (see personalityOf): the highest version trusted at any of its locations, and that location's key. */
  private readonly floors = new Map<string, VersionFloor>();

  private constructor(
    readonly file: string,
    private readonly write: typeof writeDurably,
    private readonly time: TrustedTime,
    private root: VersionRecord | undefined,
    private timeReset: VersionRecord | undefined,
    private readonly personalities: Map<string, VersionRecord>,
    /** What the file holds; undefined while there is no file. */
    private stored: StoredState | undefined,
  ) {
    // A file written when the floor was per location folds into it here, by the highest version.
    for (const [key, record] of personalities) this.raiseFloor(key, record);
  }

  /**
   * Reads the state file; a missing file is a first start with nothing seen yet.
   * @param write how save() writes the file (atomically and durably, unless a test counts)
   * @param uptime monotonic milliseconds, which bound how far the clock may carry the trusted time
   * @throws ManifestError E_STATE when it exists but cannot be read or is not valid
   */
  static open(file: string, write: typeof writeDurably = writeDurably, uptime: () => number = () => performance.now()): RollbackState {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new RollbackState(file, write, new TrustedTime(undefined, uptime), undefined, undefined, new Map(), undefined);
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
      const personalities = new Map(Object.entries(document.personalities));
      const stored = { records: JSON.stringify(recordsOf(document.root, document.timeReset, personalities)), time: latestTime };
      return new RollbackState(file, write, new TrustedTime(latestTime, uptime), document.root, document.timeReset, personalities, stored);
    } catch (error) {
      throw unusable(file, 'is corrupt', error);
    }
  }

  /** The trusted time carried forward by the clock as far as its bound lets it (see TrustedTime). */
  trustedTime(clockMs: number): number {
    return this.time.follow(clockMs);
  }

  /** The trusted time as it stands. */
  get trusted(): number {
    return this.time.value;
  }

  /** The time the file holds; undefined while there is no file. */
  get timeOnFile(): number | undefined {
    return this.stored?.time;
  }

  /** The last signed time reset applied, if any. */
  get lastTimeReset(): VersionRecord | undefined {
    return this.timeReset;
  }

  /**
   * Sets the trusted time to `time`, keeping every version record, and remembers the reset so
   * it is never applied again. Only for a time reset whose signatures were checked (time-reset.ts).
   */
  resetTime(time: number, reset: VersionRecord): void {
    this.time.reset(time);
    this.timeReset = reset;
    this.expiryPassed = false;
  }

  /**
   * An expiry was judged against the trusted time. When the time on file is before it and
   * the trusted time is not, a clock set back would judge it otherwise after a restart: the
   * next save() writes the time.
   */
  expiryJudged(expiresAtMs: number): void {
    const storedTime = this.stored?.time ?? Number.NEGATIVE_INFINITY;
    if (storedTime < expiresAtMs && expiresAtMs <= this.time.value) this.expiryPassed = true;
  }

  /** The newest trust root trusted so far, if any. */
  get pinnedRoot(): VersionRecord | undefined {
    return this.root;
  }

  pinRoot(record: VersionRecord): void {
    this.root = record;
  }

  /**
   * Admits one version of the manifest at location `key` (`<driver>/[<profile>/]<name>`), or refuses it.
   * @throws ManifestError E_ROLLBACK (older than trusted before for its personality) or E_SUBSTITUTION (same version, other bytes at this location)
   */
  admit(key: string, record: VersionRecord, file: string): void {
    this.check(key, record, file);
    this.personalities.set(key, record);
    this.raiseFloor(key, record);
  }

  /**
   * Whether `admit` would take this version, without remembering it. The version may not be
   * below the highest trusted for its personality at any location, generic or of any profile,
   * so a file elsewhere cannot take an older version back in; at the same version, other bytes
   * are refused only at the location that holds them, as a profile's file may differ from the
   * generic one.
   * @throws ManifestError E_ROLLBACK or E_SUBSTITUTION
   */
  check(key: string, record: VersionRecord, file: string): void {
    const floor = this.floors.get(personalityOf(key));
    if (floor !== undefined && record.version < floor.version) {
      const where = floor.key === key ? '' : ` at ${floor.key}`;
      const text = `${record.version} is older than version ${floor.version}, trusted before${where}`;
      throw new ManifestError('E_ROLLBACK', file, text, '/version');
    }
    const seen = this.personalities.get(key);
    if (seen !== undefined && record.version === seen.version && record.digest !== seen.digest) {
      const text = `${record.version} was trusted before with other content (sha256 ${seen.digest})`;
      throw new ManifestError('E_SUBSTITUTION', file, text, '/version');
    }
  }

  private raiseFloor(key: string, { version }: VersionRecord): void {
    const personality = personalityOf(key);
    if (version > (this.floors.get(personality)?.version ?? 0)) this.floors.set(personality, { version, key });
  }

  /**
   * Writes the state if it holds something the file does not: a version, digest or trust
   * root trusted since, an expiry passed since the time on file (see expiryJudged), or a
   * trusted time a day or more past it. Otherwise writes nothing: what the file holds
   * protects as much. A write is atomic: a temporary file, flushed, renamed over the old
   * one, and the folder flushed, so a power cut leaves the old state or the new.
   * @throws ManifestError E_STATE
   */
  save(): void {
    const records = recordsOf(this.root, this.timeReset, this.personalities);
    const recordsText = JSON.stringify(records);
    const time = Math.floor(this.time.value / 1000) * 1000;
    const stored = this.stored;
    if (stored !== undefined && stored.records === recordsText && !this.expiryPassed && time - stored.time < TIME_WRITE_INTERVAL_MS) return;
    const document: StateDocument = { format: 1, latestTime: formatTimestamp(time), ...records };
    try {
      this.write(this.file, `${JSON.stringify(document, null, 2)}\n`, { file: 0o600, folder: 0o700 });
    } catch (error) {
      const text = `cannot be written: ${error instanceof Error ? error.message : String(error)}`;
      throw new ManifestError('E_STATE', this.file, text, undefined, { cause: error });
    }
    this.stored = { records: recordsText, time };
    this.expiryPassed = false;
  }
}

/** The highest version trusted for a personality, and the location key it was trusted at. */
interface VersionFloor {
  readonly version: number;
  readonly key: string;
}

/**
 * The personality a location key is for: `<driver>/<name>`, whatever the instance profile.
 * Its versions are one sequence, whichever folder a file of it sits in.
 */
function personalityOf(key: string): string {
  const parts = key.split('/');
  return parts.length === 3 ? `${parts[0]}/${parts[2]}` : key;
}

/** The records as the file holds them, in one order (personalities by key, fields as declared), so equal states give equal text. */
function recordsOf(root: VersionRecord | undefined, timeReset: VersionRecord | undefined, personalities: ReadonlyMap<string, VersionRecord>): StateRecords {
  const record = ({ version, digest }: VersionRecord): VersionRecord => ({ version, digest });
  return {
    ...(root === undefined ? {} : { root: record(root) }),
    ...(timeReset === undefined ? {} : { timeReset: record(timeReset) }),
    personalities: Object.fromEntries([...personalities].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, r]) => [key, record(r)])),
  };
}

function unusable(file: string, what: string, error: unknown): ManifestError {
  const why = error instanceof ManifestError ? error.reason : error instanceof Error ? error.message : String(error);
  return new ManifestError('E_STATE', file, `${what} (${why}): ${UNUSABLE}`, undefined, { cause: error });
}
