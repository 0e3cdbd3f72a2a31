import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import { RequestServer } from '../mqtt/request-server.js';
import type { StatusPublisher } from '../mqtt/status-publisher.js';
import type { Daemon } from './daemon.js';
import { iso } from './payloads.js';
import { requestHandlers } from './persona-api.js';

/**
 * Serves the request side of the MQTT contract on the daemon's connection, and ties holds
 * to their owners' presence: `presence/<client-id>` says `online` (retained, with a retained
 * last will `offline`); when it says offline, the client's holds are dropped. Refusals are
 * dated by the daemon's clock.
 */
export function serveMqttApi(publisher: StatusPublisher, daemon: Daemon, store: () => ManifestStore, clock: Clock, logger: Logger): RequestServer {
  const present = new Set<string>();
  const { topics } = publisher;
  publisher.subscribe(topics.presence, (topic, payload) => {
    const client = topics.clientOf(topic);
    if (client === undefined) return;
    const text = payload.toString('utf8').trim();
    const online = text === 'online' || /^\{\s*"state"\s*:\s*"online"/.test(text);
    if (online) present.add(client);
    else {
      present.delete(client);
      const dropped = daemon.dropOwner(client);
      if (dropped.length > 0) logger.info(`${client} went offline: dropped its holds ${dropped.map((h) => h.id).join(', ')}`);
    }
  });
  const server = new RequestServer({
    topics,
    handlers: requestHandlers({ daemon, store, isPresent: (owner) => present.has(owner), bootId: publisher.bootId }),
    reply: (topic, payload, correlationData) => publisher.publishNow(topic, payload, { qos: 1, ...(correlationData ? { properties: { correlationData } } : {}) }),
    rejected: (what, status, error) => publisher.publishRejected({ time: iso(clock.wallNow()), what, status, error }),
    logger,
    now: () => performance.now(),
  });
  publisher.subscribe(topics.requests, server.onMessage);
  return server;
}
