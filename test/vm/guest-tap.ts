/**
 * A small TAP runner for the probes that run the backend conformance suite inside the VM.
 * Importing tap there costs about 9 s of emulated CPU per probe; this takes milliseconds.
 * Subtests run one after another, as tap runs them; the output is TAP 14 with tap's summary
 * line, so the host test reads both alike, written as it is produced so that a probe killed
 * midway leaves what it did. Exits non-zero when anything failed.
 *
 * Stricter than tap where it differs: `same` compares primitives strictly, and an error wanted
 * by `throws` or `rejects` must have each property equal, not matching.
 */
import { isDeepStrictEqual, inspect } from 'node:util';
import type { ConformanceTest } from '../backend/conformance-test.js';

const isPlain = (v: unknown): v is object => typeof v === 'object' && v !== null && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** Deep equality that ignores the prototypes of plain objects, like tap's `same` for the data backends return; anything else (Map, Set, Date) compared whole. */
function same(a: unknown, b: unknown): boolean {
  if (!isPlain(a) || !isPlain(b)) return isDeepStrictEqual(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** `error` has every property of `wanted`, each deeply equal. */
function hasProperties(error: unknown, wanted: object | undefined): boolean {
  if (wanted === undefined) return true;
  if (typeof error !== 'object' || error === null) return false;
  return Object.entries(wanted).every(([k, v]) => same((error as Record<string, unknown>)[k], v));
}

function describe(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity });
}

export class GuestTap implements ConformanceTest {
  private readonly children: { name: string; body: (t: ConformanceTest) => Promise<void> }[] = [];
  private readonly teardowns: (() => unknown)[] = [];
  private count = 0;
  private failures = 0;
  /** Assertions of this test and every subtest: what tap's summary line counts. */
  private readonly all = { total: 0, failed: 0 };

  /** Set once the test has ended: an assertion after that is a failure of the run, as in tap. */
  private ended = false;

  constructor(
    private readonly indent = '',
    private readonly write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
    private readonly late: (message: string) => void = () => undefined,
  ) {}

  test(name: string, body: (t: ConformanceTest) => Promise<void>): void {
    this.children.push({ name, body });
  }

  teardown(fn: () => unknown): void {
    this.teardowns.push(fn);
  }

  ok(value: unknown, message = 'should be truthy'): boolean {
    return this.assert(Boolean(value), message, () => `found: ${describe(value)}`);
  }

  equal(found: unknown, wanted: unknown, message = 'should be equal'): boolean {
    return this.assert(found === wanted, message, () => `found: ${describe(found)}\n wanted: ${describe(wanted)}`);
  }

  same(found: unknown, wanted: unknown, message = 'should be equivalent'): boolean {
    return this.assert(same(found, wanted), message, () => `found: ${describe(found)}\n wanted: ${describe(wanted)}`);
  }

  doesNotThrow(fn: () => unknown, message = 'expected to not throw'): boolean {
    try {
      fn();
      return this.assert(true, message);
    } catch (error) {
      return this.assert(false, message, () => `threw: ${describe(error)}`);
    }
  }

  throws(fn: () => unknown, wanted: object, message = 'expected to throw'): boolean {
    try {
      fn();
    } catch (error) {
      return this.assert(hasProperties(error, wanted), message, () => `threw: ${describe(error)}\n wanted: ${describe(wanted)}`);
    }
    return this.assert(false, message, () => 'did not throw');
  }

  async rejects(promise: Promise<unknown>, wanted?: object, message = 'expected to reject'): Promise<boolean> {
    try {
      const value = await promise;
      return this.assert(false, message, () => `resolved: ${describe(value)}`);
    } catch (error) {
      return this.assert(hasProperties(error, wanted), message, () => `rejected: ${describe(error)}\n wanted: ${describe(wanted)}`);
    }
  }

  /** Runs the subtests in order, writing their TAP; resolves the assertion counts of the whole tree. */
  async run(): Promise<{ total: number; pass: number }> {
    for (const { name, body } of this.children) {
      this.write(`${this.indent}# Subtest: ${name}`);
      const child = new GuestTap(`${this.indent}    `, this.write, (message) => this.lateAssertion(`${name} > ${message}`));
      const started = performance.now();
      try {
        await body(child);
        await child.run();
      } catch (error) {
        child.assert(false, 'the subtest threw', () => describe(error));
      }
      for (const fn of child.teardowns.reverse()) {
        try {
          await fn();
        } catch (error) {
          child.assert(false, 'a teardown threw', () => describe(error));
        }
      }
      child.ended = true;
      this.write(`${child.indent}1..${child.count}`);
      this.all.total += child.all.total;
      this.all.failed += child.all.failed;
      const time = `# time=${(performance.now() - started).toFixed(3)}ms`;
      this.assert(child.failures === 0, `${name} ${time}`, undefined, 'subtest');
    }
    return { total: this.all.total, pass: this.all.total - this.all.failed };
  }

  /** An assertion after its test ended, passed on to the top, where it fails the run. */
  private lateAssertion(message: string): void {
    if (this.indent !== '') return this.late(message);
    this.all.total++;
    this.all.failed++;
    this.write(`# an assertion after its test ended: ${message}`);
  }

  /** A subtest's own point is not counted again in the summary: its assertions are. */
  private assert(passed: boolean, message: string, diagnose?: () => string, kind: 'assertion' | 'subtest' = 'assertion'): boolean {
    if (this.ended) {
      this.late(message);
      return passed;
    }
    this.count++;
    if (kind === 'assertion') {
      this.all.total++;
      if (!passed) this.all.failed++;
    }
    this.write(`${this.indent}${passed ? 'ok' : 'not ok'} ${this.count} - ${message}`);
    if (!passed) {
      this.failures++;
      if (diagnose) for (const l of diagnose().split('\n')) this.write(`${this.indent}  # ${l}`);
    }
    return passed;
  }

  /**
   * Runs a top-level GuestTap, printing TAP as it goes and tap's summary line at the end, and
   * sets the exit code. Assertions made after their test ended (a stray timer) count as
   * failures until the process exits.
   */
  static async main(build: (t: ConformanceTest) => void): Promise<void> {
    const root = new GuestTap();
    root.write('TAP version 14');
    build(root);
    const { total, pass } = await root.run();
    root.write(`1..${root.count}`);
    root.write(`# { total: ${total}, pass: ${pass} }`);
    process.exitCode = pass === total ? 0 : 1;
    process.once('beforeExit', () => {
      if (root.all.failed > total - pass) process.exitCode = 1;
    });
  }
}
