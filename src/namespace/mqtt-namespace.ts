import type { Logger } from '../common/logger.js';
import { checkSize } from '../manifests/bounded-json.js';
import { OnceWarnings } from './once-warnings.js';
import { ManifestError } from '../manifests/manifest-error.js';
import { PlaceError } from '../manifests/personality-place.js';
import { contextTopic, FLEET_ROOT, isForProfile, personalityPath, PERSONALITIES_FILTER } from './namespace-layout.js';
import { MAX_NAMESPACE_ENTRIES, sameSnapshot, type NamespaceDocument, type NamespaceSnapshot, type NamespaceSource } from './namespace-source.js';

type Subscribe = (filter: string, handler: (topic: string, payload: Buffer) => void) => void;

/**
 * The namespace as retained MQTT topics under `persona/fleet/`, on the broker the daemon
 * already uses: a fleet bridges them there (Mosquitto bridges, any MQTT cluster), so an
 * ECU needs no second connection. An empty retained message clears a topic. Messages
 * that arrive together (the retained ones after a subscribe) make one snapshot.
 */
export class MqttNamespace implements NamespaceSource {
  readonly describe = `mqtt:${FLEET_ROOT}`;
  private context: NamespaceDocument | null = null;
  private readonly personalities = new Map<string, NamespaceDocument>();
  private listener: ((snapshot: NamespaceSnapshot) => void) | undefined;
  private pending: NodeJS.Immediate | undefined;
  private last: NamespaceSnapshot | undefined;
  private readonly warnings: OnceWarnings;

  constructor(
    private readonly subscribe: Subscribe,
    private readonly instanceId: string,
    private readonly profile: string | undefined,
    logger: Logger,
  ) {
    this.warnings = new OnceWarnings(logger);
  }

  start(listener: (snapshot: NamespaceSnapshot) => void): void {
    this.listener = listener;
    const context = contextTopic(this.instanceId);
    this.subscribe(context, (topic, payload) => {
      if (topic !== context || !this.fits(topic, payload)) return;
      this.context = payload.length === 0 ? null : { bytes: payload, origin: `mqtt:${topic}` };
      this.changed();
    });
    this.subscribe(PERSONALITIES_FILTER, (topic, payload) => {
      let path: string;
      try {
        path = personalityPath(topic);
      } catch (error) {
        if (!(error instanceof PlaceError)) throw error;
        this.warnings.warn(`ignored ${topic}: not ${FLEET_ROOT}/personalities/<driver>/[<profile>/]<name>: ${error.problem}`);
        return;
      }
      if (!isForProfile(path, this.profile) || !this.fits(topic, payload)) return;
      if (payload.length === 0) this.personalities.delete(path);
      else if (this.personalities.size >= MAX_NAMESPACE_ENTRIES && !this.personalities.has(path)) this.warnings.warn(`more than ${MAX_NAMESPACE_ENTRIES} personalities under ${FLEET_ROOT}/personalities; the rest are ignored`);
      else this.personalities.set(path, { bytes: payload, origin: `mqtt:${topic}` });
      this.changed();
    });
  }

  stop(): void {
    this.listener = undefined;
    if (this.pending) clearImmediate(this.pending);
  }

  /** No document is bigger than a manifest may be: a larger message is refused before it is kept. */
  private fits(topic: string, payload: Buffer): boolean {
    try {
      checkSize(payload.length, `mqtt:${topic}`);
      return true;
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      this.warnings.warn(`ignored ${error.message} [${error.code}]`);
      return false;
    }
  }


  private changed(): void {
    this.pending ??= setImmediate(() => {
      this.pending = undefined;
      const snapshot: NamespaceSnapshot = { context: this.context, personalities: new Map(this.personalities) };
      if (this.last !== undefined && sameSnapshot(this.last, snapshot)) return;
      this.last = snapshot;
      this.listener?.(snapshot);
    });
  }
}
