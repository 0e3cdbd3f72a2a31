import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import type { RoleBook } from '../mqtt/api-roles.js';
import { RejectionReporter } from '../mqtt/rejection-reporter.js';
import { RequestServer } from '../mqtt/request-server.js';
import type { StatusPublisher } from '../mqtt/status-publisher.js';
import type { Daemon } from './daemon.js';
import { requestHandlers } from './persona-api.js';
import type { PublishQueue } from './publish-queue.js';

/** What a presence message says: `online`, or gone (`offline`, an empty retained clear, anything else). */
export function presenceOnline(payload: Buffer): boolean {
  const text = payload.toString('utf8').trim();
  return text === 'online' || /^\{\s*"state"\s*:\s*"online"\s*[,}]/.test(text);
}

export interface MqttApiOptions {
  /** How long refusals of one client, action and status are counted before one event reports them (default 10 s). */
  rejectedWindowMs?: number;
  /** The token bucket over all clients together (default 50 per second, bursts of 100). */
  rate?: { perSecond: number; burst: number };
}

/**
 * Serves the request side of the MQTT contract on the daemon's connection, and ties holds
 * to their owners' presence: `client/<client>/presence` says `online` (retained, with a
 * retained last will `offline`); when it says anything else, the client's holds are dropped,
 * and each `online` renews the lease of the holds it placed without holdSeconds. Refusals are
 * reported on event/rejected, aggregated per client, action and status, dated by the
 * daemon's clock. Answers and refusals take their place in `queue`, behind what the request
 * made the daemon publish.
 */
export function serveMqttApi(publisher: StatusPublisher, queue: PublishQueue, daemon: Daemon, store: () => ManifestStore, roles: RoleBook, clock: Clock, logger: Logger, options: MqttApiOptions = {}): void {
  const present = new Set<string>();
  const { topics } = publisher;
  publisher.subscribe(topics.presence, (topic, payload) => {
    const client = topics.clientOf(topic);
    if (client === undefined) return;
    if (presenceOnline(payload)) {
      present.add(client);
      daemon.ownerOnline(client);
    } else {
      present.delete(client);
      const dropped = daemon.dropOwner(client);
      if (dropped.length > 0) logger.info(`${client} went offline: dropped its holds ${dropped.map((h) => h.id).join(', ')}`);
    }
  });
  // Rate limits and the reports' windows run on real time: they are about how fast requests arrive.
  const now = (): number => performance.now();
  const reporter = new RejectionReporter((payload) => queue.later('event/rejected', () => publisher.publishRejected(payload)), now, () => clock.wallNow(), options.rejectedWindowMs);
  const server = new RequestServer({
    topics,
    roles,
    handlers: requestHandlers({ daemon, store, isPresent: (owner) => present.has(owner), bootId: publisher.bootId }),
    reply: (topic, payload, correlationData, lost) =>
      queue.later(topic, () => {
        if (!publisher.publishNow(topic, payload, { qos: 1, ...(correlationData ? { properties: { correlationData } } : {}) })) lost();
      }),
    rejected: (rejection) => reporter.report(rejection),
    logger,
    now,
    ...(options.rate ? { rate: options.rate } : {}),
  });
  publisher.subscribe(topics.clientRequests, server.onMessage);
  publisher.subscribe(topics.requests, server.onMessage);
  const timer = setInterval(() => reporter.flush(), reporter.windowMs);
  publisher.onStop(() => {
    clearInterval(timer);
    reporter.flush(true);
  });
}
