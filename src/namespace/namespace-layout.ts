import { join } from 'node:path';
import { MANIFEST_SUFFIX, PlaceError, placeShapeOf, type PersonalityPlace } from '../manifests/personality-place.js';

/**
 * The shared namespace, the same over both transports (docs/namespace.md):
 *
 *   directory                                          MQTT (retained)
 *   instances/<instance-id>/context.json               persona/fleet/instances/<instance-id>/context
 *   personalities/<driver>/<name>.dsse.json            persona/fleet/personalities/<driver>/<name>
 *   personalities/<driver>/<profile>/<name>.dsse.json  persona/fleet/personalities/<driver>/<profile>/<name>
 *
 * A personality's place inside `personalities/` is the place it has in a manifest
 * folder, so an instance lays what it adopts out exactly as its bundled manifests.
 */
export const FLEET_ROOT = 'persona/fleet';
export const PERSONALITIES_FILTER = `${FLEET_ROOT}/personalities/#`;
export const CONTEXT_FILTER = `${FLEET_ROOT}/instances/+/context`;

/** `personalities`, below the namespace's root. */
export const PERSONALITIES_PATH = 'personalities';

/** `instances/<instance-id>/context.json`, below the namespace's root. */
export function contextPath(instanceId: string): string {
  return `instances/${instanceId}/context.json`;
}

export function contextFile(root: string, instanceId: string): string {
  return join(root, contextPath(instanceId));
}

export function personalitiesFolder(root: string): string {
  return join(root, PERSONALITIES_PATH);
}

export function contextTopic(instanceId: string): string {
  return `${FLEET_ROOT}/instances/${instanceId}/context`;
}

/** The instance a context topic is for, or undefined for any other topic. */
export function instanceOfContextTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  return parts.length === 5 && topic.startsWith(`${FLEET_ROOT}/instances/`) && parts[4] === 'context' ? parts[3] : undefined;
}

/** The place `pvnic/cockpit/highway.dsse.json` → `persona/fleet/personalities/pvnic/cockpit/highway`. */
export function personalityTopic(place: PersonalityPlace): string {
  return `${FLEET_ROOT}/personalities/${place.key}`;
}

/**
 * `persona/fleet/personalities/pvnic/cockpit/highway` → `pvnic/cockpit/highway.dsse.json`.
 * @throws PlaceError when the topic is not the shape of a place below `personalities`
 */
export function personalityPath(topic: string): string {
  const prefix = `${FLEET_ROOT}/personalities/`;
  if (!topic.startsWith(prefix)) throw new PlaceError(topic, `not below ${prefix}`);
  return placeShapeOf(`${topic.slice(prefix.length)}${MANIFEST_SUFFIX}`).path;
}

/**
 * Whether a personality at `relativePath` is this instance's business: generic ones
 * (`<driver>/<name>`) and those of its own profile (`<driver>/<profile>/<name>`).
 */
export function isForProfile(relativePath: string, profile: string | undefined): boolean {
  const parts = relativePath.split('/');
  return parts.length === 2 || (parts.length === 3 && parts[1] === profile);
}
