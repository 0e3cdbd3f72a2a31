import { readFileSync, renameSync } from 'node:fs';
import { writeDurablyAsync } from '../common/durable-file.js';
import type { Logger } from '../common/logger.js';
import { compileDocumentSchema, DocumentError, formatProblem, type DocumentProblem } from '../common/schema.js';
import type { HoldSnapshot, StoredHold } from './hold-registry.js';
import schema from './hold-state.schema.json' with { type: 'json' };

interface StateDocument {
  format: 1;
  sequence: number;
  holds: Array<{ id: string; owner: string; driver: string; personality: string; priority: number; placed: string; expires: string; whilePresent: boolean; tokenSha256: string }>;
}

const validate = compileDocumentSchema<StateDocument>(schema);
const EMPTY: HoldSnapshot = { sequence: 0, holds: [] };
/** No file means no holds: writing that out would change nothing. */
const NO_FILE = serialize(EMPTY);

/**
 * The holds in force on disk (`holdState`), so that a restart keeps them with their ids,
 * tokens (as hashes) and expiry. A file that cannot be used never stops persona: it is said
 * in the log, set aside for a person to look at, and persona starts with no holds.
 */
export class HoldStateFile {
  /** What the file holds as far as this process knows: a change is written, a repeat is not. */
  private written: string | undefined;
  /** The save under way: the next one starts after it, so that writes never overlap and the last one wins. */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** The holds of the last run; none when there is no file yet or it cannot be used. `nowMs` stamps the name of a file set aside. */
  load(nowMs: number): HoldSnapshot {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(this.file));
    } catch (err) {
      this.written = NO_FILE;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
      return this.setAside([{ file: this.file, path: '', message: `cannot be read: ${(err as Error).message}` }], nowMs);
    }
    try {
      const snapshot = parse(text, this.file);
      this.written = text;
      return snapshot;
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      this.written = NO_FILE;
      return this.setAside(err.problems, nowMs);
    }
  }

  /**
   * Writes the holds unless the file has them already, after any save under way, without
   * blocking the event loop; resolves once they are on disk. A failure is logged (the promise
   * still resolves), and the next change tries again.
   */
  save(snapshot: HoldSnapshot): Promise<void> {
    const text = serialize(snapshot);
    this.saving = this.saving.then(async () => {
      if (text === this.written) return;
      try {
        await writeDurablyAsync(this.file, text, { file: 0o600, folder: 0o700 });
        this.written = text;
      } catch (err) {
        this.logger.error(`${this.file}: cannot be written (${(err as Error).message}): the holds in force stay, but would not outlive a restart; written again at the next change`);
      }
    });
    return this.saving;
  }

  /** Keeps a file that cannot be used under another name, so that nothing in it is lost when the next change is written. */
  private setAside(problems: readonly DocumentProblem[], nowMs: number): HoldSnapshot {
    const aside = `${this.file}.corrupt-${new Date(nowMs).toISOString().replace(/[-:]/g, '')}`;
    let kept: string;
    try {
      renameSync(this.file, aside);
      kept = `set aside as ${aside}`;
    } catch (err) {
      kept = `could not be set aside as ${aside} (${(err as Error).message}): the next change overwrites it`;
    }
    this.logger.error(`holds of the last run not restored: ${problems.map(formatProblem).join('; ')}; the file is ${kept}; starting with no holds`);
    return EMPTY;
  }
}

function parse(text: string, file: string): HoldSnapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DocumentError([{ file, path: '', message: `invalid JSON: ${(err as Error).message}` }]);
  }
  const document = validate(data, file);
  const problems: DocumentProblem[] = [];
  const seen = new Set<string>();
  const holds = document.holds.map((h, i): StoredHold => {
    if (seen.has(h.id)) problems.push({ file, path: `/holds/${i}/id`, message: `repeats hold id "${h.id}"` });
    seen.add(h.id);
    const time = (field: 'placed' | 'expires'): number => {
      const ms = Date.parse(h[field]);
      if (Number.isNaN(ms)) problems.push({ file, path: `/holds/${i}/${field}`, message: `"${h[field]}" is no time` });
      return ms;
    };
    return { id: h.id, owner: h.owner, driverId: h.driver, personality: h.personality, priority: h.priority, placedAtMs: time('placed'), expiresAtMs: time('expires'), whilePresent: h.whilePresent, tokenSha256: h.tokenSha256 };
  });
  if (problems.length > 0) throw new DocumentError(problems);
  return { sequence: document.sequence, holds };
}

function serialize(snapshot: HoldSnapshot): string {
  const document: StateDocument = {
    format: 1,
    sequence: snapshot.sequence,
    holds: snapshot.holds.map((h) => ({
      id: h.id,
      owner: h.owner,
      driver: h.driverId,
      personality: h.personality,
      priority: h.priority,
      placed: new Date(h.placedAtMs).toISOString(),
      expires: new Date(h.expiresAtMs).toISOString(),
      whilePresent: h.whilePresent,
      tokenSha256: h.tokenSha256,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
