import type { NamespacePayload, StatePublisher } from '../mqtt/contract.js';

/**
 * Hands every state and event to several publishers (MQTT and the dashboard), so that each
 * gets the very payloads the daemon built: one source of truth, several outputs.
 */
export class FanOutPublisher implements StatePublisher {
  constructor(private readonly outputs: readonly StatePublisher[]) {}

  async start(): Promise<void> {
    for (const output of this.outputs) await output.start();
  }

  /** In reverse order, so the output started first is the last to go. */
  async stop(): Promise<void> {
    for (const output of [...this.outputs].reverse()) await output.stop();
  }

  publishContext(...args: Parameters<StatePublisher['publishContext']>): void {
    for (const o of this.outputs) o.publishContext(...args);
  }
  publishPersonality(...args: Parameters<StatePublisher['publishPersonality']>): void {
    for (const o of this.outputs) o.publishPersonality(...args);
  }
  publishDecision(...args: Parameters<StatePublisher['publishDecision']>): void {
    for (const o of this.outputs) o.publishDecision(...args);
  }
  publishHolds(...args: Parameters<StatePublisher['publishHolds']>): void {
    for (const o of this.outputs) o.publishHolds(...args);
  }
  publishWorkload(...args: Parameters<StatePublisher['publishWorkload']>): void {
    for (const o of this.outputs) o.publishWorkload(...args);
  }
  publishNamespace(payload: NamespacePayload): void {
    for (const o of this.outputs) o.publishNamespace?.(payload);
  }
  publishSwitch(...args: Parameters<StatePublisher['publishSwitch']>): void {
    for (const o of this.outputs) o.publishSwitch(...args);
  }
  publishRejected(...args: Parameters<StatePublisher['publishRejected']>): void {
    for (const o of this.outputs) o.publishRejected(...args);
  }
  publishInfo(...args: Parameters<StatePublisher['publishInfo']>): void {
    for (const o of this.outputs) o.publishInfo(...args);
  }
  publishManifestEvent(...args: Parameters<StatePublisher['publishManifestEvent']>): void {
    for (const o of this.outputs) o.publishManifestEvent(...args);
  }
  publishDrift(...args: Parameters<StatePublisher['publishDrift']>): void {
    for (const o of this.outputs) o.publishDrift(...args);
  }
  publishHealth(...args: Parameters<StatePublisher['publishHealth']>): void {
    for (const o of this.outputs) o.publishHealth(...args);
  }
  setDegraded(reason: string | undefined): void {
    for (const o of this.outputs) o.setDegraded(reason);
  }
}
