import { ManifestError } from './manifest-error.js';
import type { ManifestDocument } from './manifest-validator.js';
import type { InheritedValue, ParameterMapping } from './parameter-mapping.js';
import type { ManifestTrust, Personality } from './personality.js';

/** Links from a personality to its furthest ancestor; more is refused. */
export const MAX_INHERITANCE_DEPTH = 8;

/** A manifest that has passed every check of its own, waiting to be resolved. */
export interface Candidate {
  readonly document: ManifestDocument;
  readonly file: string;
  readonly trust: ManifestTrust;
}

/**
 * Resolves a personality: its ancestors' parameters flattened, the nearest value
 * winning, in its driver's apply order.
 * @param byName the driver's candidates for this ECU, the most specific one per name
 * @throws ManifestError E_CYCLE or E_INHERITS (depth, or an ancestor without a valid manifest)
 */
export function resolvePersonality(
  candidate: Candidate,
  byName: ReadonlyMap<string, Candidate>,
  mapping: ParameterMapping,
): Personality {
  const { document, file, trust } = candidate;
  const chain = [candidate];
  for (let parent = document.inherits; parent !== undefined; parent = chain.at(-1)?.document.inherits) {
    const path = [...chain.map((c) => c.document.name), parent].join(' → ');
    if (chain.some((c) => c.document.name === parent)) {
      throw new ManifestError('E_CYCLE', file, `inheritance cycle ${path}`, '/inherits');
    }
    if (chain.length > MAX_INHERITANCE_DEPTH) {
      throw new ManifestError('E_INHERITS', file, `${path} is deeper than ${MAX_INHERITANCE_DEPTH} levels`, '/inherits');
    }
    const next = byName.get(parent);
    if (next === undefined) {
      throw new ManifestError('E_INHERITS', file, `${path}: "${parent}" has no valid manifest for driver ${document.driverId}`, '/inherits');
    }
    chain.push(next);
  }
  const values = new Map<string, InheritedValue>();
  for (const link of chain.toReversed()) {
    for (const [name, value] of Object.entries(link.document.parameters)) values.set(name, { value, from: link.document.name });
  }
  const resolved = mapping.resolve(values).map((r) => Object.freeze(r));
  return Object.freeze({
    name: document.name,
    version: document.version,
    description: document.description,
    driverId: document.driverId,
    driverVersions: document.driverVersions,
    instanceProfiles: document.instanceProfiles,
    inherits: Object.freeze(chain.slice(1).map((c) => c.document.name)),
    expires: document.expires,
    parameters: Object.freeze(Object.fromEntries(resolved.map((r) => [r.name, r.value]))),
    health: chain.find((link) => link.document.health !== undefined)?.document.health,
    resolved: Object.freeze(resolved),
    trust,
    source: file,
    digest: document.digest,
  });
}
