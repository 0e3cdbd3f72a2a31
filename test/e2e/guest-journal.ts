/**
 * The host's view of what the MQTT journal (mqtt-journal.ts) wrote inside the VM: reads only
 * what was appended since the last look, and waits for a message that matches.
 */
import type { Vm } from '../vm/vm-harness.js';

export interface JournalMessage {
  /** Guest wall time in ms. */
  at: number;
  topic: string;
  retain: boolean;
  text: string;
  /** Position in the journal, for "after this one" questions. */
  index: number;
}

const POLL_MS = 500;

export class GuestJournal {
  readonly messages: JournalMessage[] = [];
  private bytes = 0;

  constructor(
    private readonly vm: Vm,
    private readonly file: string,
    /** Prefix of every topic, e.g. `persona/e2e/`: on(), json() and waitFor() take topics without it. */
    private readonly root: string,
  ) {}

  /** Reads what was appended; a line still being written waits for the next look. */
  async refresh(): Promise<void> {
    const r = await this.vm.run(`tail -c +${this.bytes + 1} ${this.file}`);
    if (r.exitCode !== 0) throw new Error(`reading the journal ${this.file}: ${r.output}`);
    const complete = r.output.slice(0, r.output.lastIndexOf('\n') + 1);
    this.bytes += Buffer.byteLength(complete);
    for (const line of complete.split('\n').filter(Boolean)) {
      const m = JSON.parse(line) as Omit<JournalMessage, 'index'>;
      this.messages.push({ ...m, index: this.messages.length });
    }
  }

  /** Messages on `topic` (under the root), oldest first, from index `from` on. */
  on(topic: string, from = 0): JournalMessage[] {
    return this.messages.filter((m) => m.index >= from && m.topic === this.root + topic);
  }

  /** The payloads of on(), parsed. */
  json<T>(topic: string, from = 0): T[] {
    return this.on(topic, from).map((m) => JSON.parse(m.text) as T);
  }

  /** The position the next message will have: "from now on". */
  get mark(): number {
    return this.messages.length;
  }

  /**
   * The first message on `topic` from index `from` on whose payload satisfies `test`, looking
   * again every 500 ms; rejects after `timeoutMs` with what that topic did carry.
   */
  async waitFor<T>(topic: string, test: (payload: T) => boolean, what: string, opts: { from?: number; timeoutMs?: number } = {}): Promise<{ payload: T; message: JournalMessage }> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const message = this.on(topic, opts.from ?? 0).find((m) => test(JSON.parse(m.text) as T));
      if (message) return { payload: JSON.parse(message.text) as T, message };
      if (Date.now() > deadline) {
        const seen = this.on(topic, opts.from ?? 0).map((m) => m.text).slice(-5);
        throw new Error(`timed out waiting for ${what} on ${this.root}${topic}; its last messages: ${seen.join('\n') || '(none)'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      await this.refresh();
    }
  }
}
