import { join } from 'node:path';
import { MANIFEST_SUFFIX } from '../manifests/manifest-layout.js';

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

const SEGMENT = /^[a-z][a-z0-9_-]{0,62}$/;

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

/** `pvnic/cockpit/highway.dsse.json` → `persona/fleet/personalities/pvnic/cockpit/highway`. */
export function personalityTopic(relativePath: string): string {
  return `${FLEET_ROOT}/personalities/${relativePath.slice(0, -MANIFEST_SUFFIX.length)}`;
}

/**
 * `persona/fleet/personalities/pvnic/cockpit/highway` → `pvnic/cockpit/highway.dsse.json`;
 * undefined when the topic is not two or three plain segments below `personalities`.
 */
export function personalityPath(topic: string): string | undefined {
  const prefix = `${FLEET_ROOT}/personalities/`;
  if (!topic.startsWith(prefix)) return undefined;
  const parts = topic.slice(prefix.length).split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => SEGMENT.test(p))) return undefined;
  return `${parts.join('/')}${MANIFEST_SUFFIX}`;
}

/**
 * Whether a personality at `relativePath` is this instance's business: generic ones
 * (`<driver>/<name>`) and those of its own profile (`<driver>/<profile>/<name>`).
 */
export function isForProfile(relativePath: string, profile: string | undefined): boolean {
  const parts = relativePath.split('/');
  return parts.length === 2 || (parts.length === 3 && parts[1] === profile);
}
