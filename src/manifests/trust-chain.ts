import { join } from 'node:path';
import type { ConfinedFolder } from './confined-file.js';
import { ManifestError } from './manifest-error.js';
import type { RollbackState } from './rollback-state.js';
import { describeJudgingTime } from './trusted-time.js';
import { TrustRoot } from './trust-root.js';

/** The trust root installed first: the anchor of the chain. It never changes once installed. */
export const ANCHOR_FILE = 'root.json';

/** Each rotation's file: `2.root.json`, `3.root.json`, … (as in TUF). */
export function rotationFile(version: number): string {
  return `${version}.root.json`;
}

/**
 * The newest trust root of a folder that a chain of rotations leads to, starting
 * from the root trusted before (pinned in `state`) or, on first use, from the
 * anchor. Only the newest root must be unexpired at `now`; it is pinned in `state`
 * (saved by the caller), so later loads start from it and an older one is refused.
 * @param now the instant to judge expiry at, ms since the epoch (see judgingTime)
 * @throws ManifestError E_ROLLBACK, E_SUBSTITUTION, E_EXPIRED, E_SIGNATURE, E_THRESHOLD, …
 */
export function loadTrustChain(dir: ConfinedFolder, now: number, state?: RollbackState): TrustRoot {
  const trusted = walkTrustChain(dir, state);
  state?.expiryJudged(trusted.expiresAt);
  if (now >= trusted.expiresAt) {
    const text = `trust root v${trusted.version} expired at ${trusted.expires} (${describeJudgingTime(now, state?.trusted)})`;
    throw new ManifestError('E_EXPIRED', trusted.file, text, '/expires');
  }
  state?.pinRoot({ version: trusted.version, digest: trusted.digest });
  return trusted;
}

/**
 * Follows the rotations as far as they go, whether or not the newest root has
 * expired: what `persona trust rotate` starts from, since rotating is how an
 * expiring root is replaced.
 */
export function walkTrustChain(dir: ConfinedFolder, state?: RollbackState): TrustRoot {
  let trusted = startOfChain(dir, state);
  let next = rotationFile(trusted.version + 1);
  while (isPresent(dir, next)) {
    trusted = trusted.next(dir.readFile(next), join(dir.path, next));
    next = rotationFile(trusted.version + 1);
  }
  return trusted;
}

function startOfChain(dir: ConfinedFolder, state: RollbackState | undefined): TrustRoot {
  const anchorFile = join(dir.path, ANCHOR_FILE);
  const pinned = state?.pinnedRoot;
  if (pinned === undefined) return TrustRoot.open(dir.readFile(ANCHOR_FILE), anchorFile);
  // The pinned root is a rotation, or the anchor when none has happened yet.
  const rotation = join(dir.path, rotationFile(pinned.version));
  const name = isPresent(dir, rotationFile(pinned.version)) ? rotationFile(pinned.version) : ANCHOR_FILE;
  const file = join(dir.path, name);
  const root = TrustRoot.open(dir.readFile(name), file);
  if (root.version !== pinned.version) {
    const text = `trust root v${pinned.version} was trusted before and is missing: an older trust root is not accepted`;
    throw new ManifestError('E_ROLLBACK', rotation, text);
  }
  if (root.digest !== pinned.digest) {
    const text = `trust root v${pinned.version} was trusted before with other content (sha256 ${pinned.digest})`;
    throw new ManifestError('E_SUBSTITUTION', file, text);
  }
  return root;
}

/** Whether a regular file is there; a link there is one (reading it then says E_LINK), a link on the way throws E_LINK. */
function isPresent(dir: ConfinedFolder, name: string): boolean {
  const stats = dir.stat(name);
  return stats?.isFile() === true || stats?.isSymbolicLink() === true;
}
