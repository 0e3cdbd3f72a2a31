import type { InstanceFacts } from '../instance/instance-probe.js';
import type { DriverBackend } from '../backend/driver-backend.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import { formatParameter, type ParameterValues } from '../manifests/personality.js';
import type { InfoPayload, SwitchPayload } from '../mqtt/contract.js';
import type { SwitchRecord } from './daemon-stages.js';

/** Times as the contract writes them: ISO-8601 UTC, whether wall-clock or CAN time. */
export const iso = (timeMs: number): string => new Date(timeMs).toISOString();

/** Values as manifests write them: `4ms`, `256KB`. */
export const formatted = (values: ParameterValues): Record<string, string> => Object.fromEntries(Object.entries(values).map(([n, v]) => [n, formatParameter(n, v)]));

/** `info`: what this daemon runs, and the trust root behind its manifests. */
export function infoPayload(store: ManifestStore, backend: DriverBackend, version: string, instance: InstanceFacts): InfoPayload {
  const manifests = store.list();
  const roots = manifests.map((p) => p.trust.rootVersion).filter((v): v is number => v !== undefined);
  return {
    version,
    backend: backend.kind,
    drivers: backend.drivers().map((d) => ({ id: d.id, version: d.version, resources: d.resources })),
    manifests: manifests.map((p) => ({ driver: p.driverId, name: p.name, version: p.version, digest: p.digest })),
    trustRootVersion: roots.length > 0 ? Math.max(...roots) : null,
    instance,
  };
}

/** `event/switch` for one applied switch. */
export function switchPayload(r: SwitchRecord): SwitchPayload {
  return {
    time: iso(r.wallTimeMs),
    canTime: iso(r.timeMs),
    target: r.target.key,
    resources: r.target.resources,
    driver: r.driverId,
    from: r.from,
    to: r.to,
    context: r.context,
    trigger: { reason: r.trigger, source: r.winner.source, rule: r.winner.rule },
    changes: r.changes.map((c) => ({ resource: c.resource, name: c.name, from: c.from === undefined ? null : formatParameter(c.name, c.from), to: formatParameter(c.name, c.to) })),
    durationMs: r.durationMs,
    generation: r.generation,
    pending: Object.entries(r.waiting).map(([name, v]) => ({ name, to: formatParameter(name, v) })),
  };
}
