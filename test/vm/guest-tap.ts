/**
 * A small TAP runner for the probes that run the backend conformance suite inside the VM.
 * Importing tap there takes about 15 s of emulated CPU per probe; this takes milliseconds.
 * Subtests run one after another, as tap runs them; the output is TAP 14 with tap's summary
 * line, so the host test reads both alike. Exits non-zero when anything failed.
 */
import { isDeepStrictEqual, inspect } from 'node:util';
import type { ConformanceTest } from '../backend/conformance-test.js';

/** Deep equality that ignores prototypes, like tap's `same` for the plain data backends return. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return isDeepStrictEqual(a, b);
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
  private readonly lines: string[] = [];
  private readonly children: { name: string; body: (t: ConformanceTest) => Promise<void> }[] = [];
  private readonly teardowns: (() => unknown)[] = [];
  private count = 0;
  private failures = 0;
  /** Assertions of this test and every subtest: what tap's summary line counts. */
  private readonly all = { total: 0, failed: 0 };

  constructor(private readonly indent = '') {}

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

  /** Runs the subtests in order, collecting their TAP; resolves the assertion counts of the whole tree. */
  async run(): Promise<{ total: number; pass: number }> {
    for (const { name, body } of this.children) {
      const child = new GuestTap(`${this.indent}    `);
      const started = performance.now();
      try {
        await body(child);
        await child.run();
      } catch (error) {
        child.assert(false, 'the subtest threw', () => describe(error));
      } finally {
        for (const fn of child.teardowns.reverse()) await fn();
      }
      this.lines.push(`${this.indent}# Subtest: ${name}`, ...child.lines, `${child.indent}1..${child.count}`);
      this.all.total += child.all.total;
      this.all.failed += child.all.failed;
      const time = `# time=${(performance.now() - started).toFixed(3)}ms`;
      this.assert(child.failures === 0, `${name} ${time}`, undefined, 'subtest');
    }
    return { total: this.all.total, pass: this.all.total - this.all.failed };
  }

  /** A subtest's own point is not counted again in the summary: its assertions are. */
  private assert(passed: boolean, message: string, diagnose?: () => string, kind: 'assertion' | 'subtest' = 'assertion'): boolean {
    this.count++;
    if (kind === 'assertion') {
      this.all.total++;
      if (!passed) this.all.failed++;
    }
    this.lines.push(`${this.indent}${passed ? 'ok' : 'not ok'} ${this.count} - ${message}`);
    if (!passed) {
      this.failures++;
      if (diagnose) this.lines.push(...diagnose().split('\n').map((l) => `${this.indent}  # ${l}`));
    }
    return passed;
  }

  /** Runs a top-level GuestTap, prints TAP with tap's summary line, and sets the exit code. */
  static async main(build: (t: ConformanceTest) => void): Promise<void> {
    const root = new GuestTap();
    build(root);
    const { total, pass } = await root.run();
    process.stdout.write(['TAP version 14', ...root.lines, `1..${root.count}`, `# { total: ${total}, pass: ${pass} }`, ''].join('\n'));
    process.exitCode = pass === total ? 0 : 1;
  }
}
