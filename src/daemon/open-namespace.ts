import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { InstanceFacts } from '../instance/instance-probe.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import type { StatePublisher } from '../mqtt/contract.js';
import { StatusPublisher } from '../mqtt/status-publisher.js';
import { DirectoryNamespace } from '../namespace/directory-namespace.js';
import { InstanceFeed } from '../namespace/instance-feed.js';
import { MqttNamespace } from '../namespace/mqtt-namespace.js';
import { PersonalityAdopter } from '../namespace/personality-adopter.js';
import type { PersonaConfig } from './config.js';
import { NamespaceLink } from './namespace-link.js';

/**
 * The shared namespace of `config.namespace`: a `dir:` folder, polled, or the retained
 * persona/fleet/ topics on the daemon's own broker. An offline run has no broker and
 * adopts nothing: what it decides must not depend on what a host happens to hold.
 * buildDaemon loads this module only when a namespace is configured.
 */
export function openNamespace(config: PersonaConfig, output: StatePublisher, publisher: StatePublisher, store: ManifestStore, adoptedDir: string, instance: InstanceFacts, clock: Clock, logger: Logger): NamespaceLink | undefined {
  if (!(output instanceof StatusPublisher)) {
    logger.warn(`namespace ${config.namespace} not used: this run publishes to no broker`);
    return undefined;
  }
  const profile = config.instanceProfile;
  const source =
    config.namespace === 'mqtt'
      ? new MqttNamespace((filter, handler) => output.subscribe(filter, handler), config.ecuId, profile, logger)
      : new DirectoryNamespace(config.namespace!.slice('dir:'.length), config.ecuId, profile, config.namespacePollMs, clock, logger);
  // Adoptions are dated by the daemon's wall clock, like everything it publishes.
  const adopter = new PersonalityAdopter(store, adoptedDir, profile, logger, () => clock.wallNow());
  const feed = new InstanceFeed(config.ecuId, config.instanceStaleMs, logger);
  logger.info(`reading ${source.describe} as instance ${config.ecuId}${profile ? `, profile ${profile}` : ''}; adopted personalities in ${adoptedDir}`);
  return new NamespaceLink(source, adopter, feed, publisher, { profile, hypervisor: instance.hypervisor, pollMs: config.namespacePollMs, clock, logger });
}
