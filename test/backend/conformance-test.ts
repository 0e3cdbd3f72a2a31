/**
 * The part of a tap test the backend conformance suite uses. tap's Test has it on the host; in
 * the VM the probes use GuestTap (test/vm/guest-tap.ts), because importing tap there costs
 * seconds of emulated CPU per probe. The comments say what GuestTap does; tap's own `same` and
 * error matching are looser (see guest-tap.ts).
 */
type Message = [] | [message: string];

/** An error wanted: the properties it must have, `code` at least. */
export interface WantedError {
  code: string;
  [property: string]: unknown;
}

export interface ConformanceTest {
  test(name: string, body: (t: ConformanceTest) => Promise<void>): unknown;
  teardown(fn: () => unknown): void;
  ok(value: unknown, ...message: Message): boolean;
  /** Strict equality. */
  equal(found: unknown, wanted: unknown, ...message: Message): boolean;
  /** Deep equality that ignores prototypes. */
  same(found: unknown, wanted: unknown, ...message: Message): boolean;
  doesNotThrow(fn: () => unknown, ...message: Message): unknown;
  /** `fn` throws an error that has every property of `wanted`. */
  throws(fn: () => unknown, wanted: WantedError, ...message: Message): unknown;
  /** `promise` rejects, with an error that has every property of `wanted` when given. */
  rejects(promise: Promise<unknown>, ...wanted: [] | [wanted: WantedError, ...message: Message]): Promise<unknown>;
}
