/** At most this many personalities are taken from a namespace: far above any real set, and a bound on what a flood costs. */
export const MAX_NAMESPACE_ENTRIES = 256;

/** One document of the namespace as read, and where from: `dir:<file>` or `mqtt:<topic>`. */
export interface NamespaceDocument {
  readonly bytes: Buffer;
  readonly origin: string;
}

/**
 * What the namespace holds for one instance: its context, and the personalities for
 * it by their path inside `personalities/` (`pvnic/cockpit/highway.dsse.json`).
 */
export interface NamespaceSnapshot {
  readonly context: NamespaceDocument | null;
  readonly personalities: ReadonlyMap<string, NamespaceDocument>;
}

/** A transport of the shared namespace: tells its listener whenever what it holds changes. */
export interface NamespaceSource {
  /** `dir:/mnt/persona-ns` or `mqtt:persona/fleet`, for logs and status. */
  readonly describe: string;
  start(listener: (snapshot: NamespaceSnapshot) => void): void;
  stop(): void;
}

/** Whether two readings hold the same bytes in the same places. */
export function sameSnapshot(a: NamespaceSnapshot, b: NamespaceSnapshot): boolean {
  if ((a.context === null) !== (b.context === null) || (a.context && b.context && !a.context.bytes.equals(b.context.bytes))) return false;
  if (a.personalities.size !== b.personalities.size) return false;
  for (const [path, d] of a.personalities) if (!b.personalities.get(path)?.bytes.equals(d.bytes)) return false;
  return true;
}
