import type { Clock } from '../common/clock.js';
import type { DashboardServer } from '../dashboard/dashboard-server.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import type { Daemon } from './daemon.js';
import { BUILT_IN_ROLES } from '../mqtt/api-roles.js';
import { answerInTurn } from './answer-in-turn.js';
import { iso } from './payloads.js';
import { holdHandlers } from './persona-api.js';
import type { PublishQueue } from './publish-queue.js';

/**
 * Connects the dashboard to the daemon: the latest sample for its signal view and, with a
 * token, the MQTT API's own select and release handlers, so a hold placed from the page is
 * validated and arbitrated exactly like one requested over MQTT. The page has no presence
 * topic, so its holds must say how long they last. Refusals are reported on the publisher,
 * which puts them on MQTT's event/rejected and in the page's log alike, dated by the daemon's
 * clock. Answers go out in their turn among what is published, as MQTT's do.
 */
export function serveDashboardApi(dashboard: DashboardServer, daemon: Daemon, store: () => ManifestStore, publisher: PublishQueue, clock: Clock, token: string | undefined): void {
  const handlers = holdHandlers({ daemon, store, isPresent: () => false });
  const operator = { name: 'dashboard', ...BUILT_IN_ROLES.integrator! };
  // The token's holder is the operator: the page names itself as owner, and so may a script.
  const caller = (body: Record<string, unknown>) => ({ client: typeof body.owner === 'string' ? body.owner : 'dashboard', role: operator });
  dashboard.serve({
    sample: () => daemon.latestSample(),
    ...(token !== undefined ? { control: { token, select: (body) => answerInTurn(publisher, () => handlers.select(body, caller(body))), release: (body) => answerInTurn(publisher, () => handlers.release(body, caller(body))) } } : {}),
    rejected: (what, status, error) => publisher.publishRejected({ time: iso(clock.wallNow()), what, status, error }),
  });
}
