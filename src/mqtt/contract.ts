import type { DecisionRecord } from '../daemon/decision-record.js';
import type { InstanceFacts } from '../instance/instance-probe.js';

/**
 * The MQTT topic contract: every topic persona publishes and every payload type.
 * Nothing outside this module builds a topic string.
 *
 * Every timestamp is wall-clock time, ISO-8601 UTC, from the daemon's clock. Where the CAN
 * time of the same moment matters (a decision, a switch, a context change, a health check) it
 * is carried beside it in a field named `canTime` (or ending in `CanTime`): the timestamps of
 * the frames, which during a replay are the recorded drive's, comparable only with each other.
 */

export type BackendKindName = 'simulated' | 'kmod' | 'sysfs' | 'ethtool';

/** `persona/<ecu-id>/status`, retained; the last will publishes `offline`. */
export interface StatusPayload {
  state: 'online' | 'offline' | 'degraded';
  /** Present while online: which backend applies parameters. */
  backend?: BackendKindName;
  /** Why the daemon is degraded (a CAN interface down, drift). */
  reason?: string;
  /** Human-readable note, e.g. that the simulated backend is in use. */
  note?: string;
  /** Events dropped, oldest first, while the broker was unreachable (since the start). */
  droppedEvents?: number;
}

/** `persona/<ecu-id>/state/context`, retained. */
export interface ContextPayload {
  /** The driving context: parked, city, highway, offroad or unknown. */
  context: string;
  /** The ECU's own load: idle, normal or pressured; and its I/O pattern: quiet, interactive or bulk. */
  workload: string;
  io: string;
  /** How the hypervisor host rates this instance: normal or constrained, unknown without a fresh host context. */
  instance: string;
  /** What the host says the instance runs (cockpit, adas, gateway, batch) and its own pressure (0–100); null while instance is unknown or the host does not say. */
  role: string | null;
  hostPressure: number | null;
  /** Wall-clock time of the last change. */
  since: string;
  /** CAN time of the same change: comparable only with other `canTime` fields. */
  canTime: string;
  speedKmh: number | null;
}

/** One target's entry in `state/personality`: a driver's resources that share a policy. */
export interface DriverPersonality {
  personality: string;
  resources: readonly string[];
  generation: number;
  /** Wall-clock time this personality was decided for the target. */
  since: string;
  /** Values as read back from the backend, in manifest units ("4ms", "256KB"). */
  parameters: Record<string, string>;
  /** Parameters of this personality that wait for the next standstill. */
  pending: Record<string, string>;
}

/** `persona/<ecu-id>/state/personality`, retained. */
export interface PersonalityPayload {
  backend: BackendKindName;
  drivers: Record<string, DriverPersonality>;
}

/** `persona/<ecu-id>/event/switch`, not retained. */
export interface SwitchPayload {
  /** Wall-clock time of the decision that made the switch (applying took `durationMs` more). */
  time: string;
  /** CAN time of that decision, as the decision record's `canTime`. */
  canTime: string;
  /** `pvnic`, or `pvnic/pvnic1` for a resource with rules of its own. */
  target: string;
  resources: readonly string[];
  driver: string;
  from: string | null;
  to: string;
  /** The context when the switch was decided. */
  context: { driving: string; workload: string; io: string; instance: string };
  /** Why: the reason (`driving city → highway`, `standstill`, `hold h1 placed by media`), and who won (policy rule, hold, safety). */
  trigger: { reason: string; source: string; rule: string };
  changes: Array<{ resource: string; name: string; from: string | null; to: string }>;
  durationMs: number;
  generation: number;
  /** Parameters of `to` that wait for the next standstill (disruptive changes). */
  pending: Array<{ name: string; to: string }>;
}

/** `persona/<ecu-id>/state/decision`, retained: the latest decision record. */
export type DecisionPayload = DecisionRecord;

/**
 * `persona/<ecu-id>/state/holds`, retained: the holds in force (never their tokens). Times are
 * wall-clock UTC; `expires` of a hold `whilePresent` (tied to its owner's presence) is the end
 * of its lease, which the owner renews by publishing `online` again.
 */
export interface HoldsPayload {
  holds: Array<{ id: string; owner: string; driver: string; personality: string; priority: number; expires: string; placed: string; whilePresent: boolean }>;
}

/** `persona/<ecu-id>/state/workload`, retained: the ECU's own load as last sampled. */
export interface WorkloadPayload {
  workload: string;
  io: string;
  cpuPressure: number;
  memoryPressure: number;
  ioPressure: number | null;
}

/** `persona/<ecu-id>/info`, retained: what this daemon runs. */
export interface InfoPayload {
  version: string;
  backend: BackendKindName;
  drivers: Array<{ id: string; version: string; resources: readonly string[] }>;
  manifests: Array<{ driver: string; name: string; version: number; digest: string }>;
  /** The trust root that made the loaded manifests trusted; null when none is signed. */
  trustRootVersion: number | null;
  /** Bare metal or a guest, under which hypervisor, and the limits it was given. */
  instance: InstanceFacts;
}

/** `persona/<ecu-id>/event/manifest`, not retained: the personalities were (re)loaded. */
export interface ManifestEventPayload {
  /** Wall-clock time of the (re)load. */
  time: string;
  personalities: number;
  rejected: Array<{ file: string; code: string; error: string }>;
  /** Personalities added, removed or replaced since the last event/manifest; empty when none was. */
  changed: Array<{ driver: string; name: string; from: number | null; to: number | null }>;
}

/** `persona/<ecu-id>/event/drift`, not retained: a driver's values changed behind persona's back. */
export interface DriftPayload {
  /** Wall-clock time the drift was found. */
  time: string;
  driver: string;
  resources: readonly string[];
  parameters: readonly string[];
  generation: number;
  /** What persona does about it, as configured. */
  action: 'reassert' | 'report';
}

/** `persona/<ecu-id>/event/health`, not retained: a personality broke its health bounds after a switch. */
export interface HealthPayload {
  /** Wall-clock time the breach was found. */
  time: string;
  /** CAN time of the same check: `afterMs` and `windowMs` are measured in CAN time. */
  canTime: string;
  target: string;
  driver: string;
  resources: readonly string[];
  personality: string;
  /** What is applied instead: the personality it replaced. */
  revertTo: string | null;
  breaches: Array<{ metric: string; value: number; bound: 'min' | 'max'; limit: number }>;
  /** From the switch to the breach, within the manifest's window. */
  afterMs: number;
  windowMs: number;
}

/** `persona/<ecu-id>/event/rejected`, not retained: a request or manifest that was refused. */
export interface RejectedPayload {
  /** Wall-clock time of the refusal. */
  time: string;
  what: string;
  status: number;
  error: string;
  /** A refused manifest's ManifestError code (`E_ROLLBACK`, `E_SIGNATURE`, …), or a refused request's (`E_ROLE`, `E_RATE`, …). */
  code?: string;
  /** The client whose request was refused: the `<client>` of its topic. */
  client?: string;
  /** How many refusals of this client, action and status this event stands for (they are aggregated); absent: one. */
  count?: number;
}

/** The answer to `client/<client>/request/<action>`, on the v5 response topic or `client/<client>/response/<action>`. */
export interface ResponsePayload {
  status: 200 | 400 | 403 | 404 | 409 | 410 | 429 | 503;
  /** Echoed from the request. */
  transaction?: string;
  data?: object;
  error?: string;
  /** JSON pointer of the field at fault, for 400. */
  path?: string;
  /** Why a request was refused, for a program to act on: `E_ROLE`, `E_PRIORITY`, `E_RESPONSE_TOPIC`, `E_RATE`, … */
  code?: string;
}

/** `persona/<ecu-id>/state/namespace`, retained: what this instance took from the shared namespace, for `persona host status`. */
export interface NamespacePayload {
  /** The namespace read: `dir:<folder>` or `mqtt:persona/fleet`. */
  source: string;
  /** The instance profile whose personalities it adopts; null for generic ones only. */
  profile: string | null;
  /** Bare metal or the hypervisor persona detected. */
  hypervisor: string | null;
  /** The host's instance context as last read, `updated` as the host dated it; null when there is none. */
  context: { role: string; resources: string; hostPressure: number | null; updated: string; stale: boolean; from: string } | null;
  /** Why the latest instance context was refused, if it was. */
  contextError: string | null;
  /** `time`: wall-clock time of the adoption or refusal; null for a personality adopted before this start. */
  adopted: Array<{ personality: string; version: number; digest: string; from: string; time: string | null }>;
  rejected: Array<{ personality: string; code: string; error: string; from: string; time: string }>;
}

/** Where the daemon's state goes: MQTT, or nowhere in an offline simulation. */
export interface StatePublisher {
  start(): Promise<void>;
  stop(): Promise<void>;
  publishContext(payload: ContextPayload): void;
  publishPersonality(payload: PersonalityPayload): void;
  publishDecision(payload: DecisionPayload): void;
  publishHolds(payload: HoldsPayload): void;
  publishWorkload(payload: WorkloadPayload): void;
  publishSwitch(payload: SwitchPayload): void;
  publishRejected(payload: RejectedPayload): void;
  publishInfo(payload: InfoPayload): void;
  publishManifestEvent(payload: ManifestEventPayload): void;
  publishDrift(payload: DriftPayload): void;
  publishHealth(payload: HealthPayload): void;
  /** Only outputs a host can read it from take it. */
  publishNamespace?(payload: NamespacePayload): void;
  /** `status` becomes `degraded` with this reason, or `online` again when undefined. */
  setDegraded(reason: string | undefined): void;
}

/** The request actions of `persona/<ecu-id>/client/<client>/request/<action>`. */
export const ACTIONS = ['select', 'release', 'reload', 'why', 'list'] as const;
export type Action = (typeof ACTIONS)[number];

/** Topics under `persona/<ecu-id>/`. */
export class Topics {
  readonly root: string;
  readonly status: string;
  readonly info: string;
  readonly eventManifest: string;
  readonly eventDrift: string;
  readonly eventHealth: string;
  readonly stateContext: string;
  readonly statePersonality: string;
  readonly stateDecision: string;
  readonly stateHolds: string;
  readonly stateWorkload: string;
  readonly stateNamespace: string;
  readonly eventSwitch: string;
  readonly eventRejected: string;
  /** Subscription for the shared request topics of old, `request/<action>`: answered 410, nothing done. */
  readonly requests: string;
  /** Subscription for every client's requests: `client/<client>/request/<action>`. */
  readonly clientRequests: string;
  /** Subscription for clients' presence: `client/<client>/presence`, retained, with a last will. */
  readonly presence: string;

  constructor(ecuId: string) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(ecuId)) throw new RangeError(`ecu id "${ecuId}" must be 1–64 letters, digits, '-' or '_' (no MQTT wildcards or '/')`);
    this.root = `persona/${ecuId}`;
    this.status = `${this.root}/status`;
    this.info = `${this.root}/info`;
    this.eventManifest = `${this.root}/event/manifest`;
    this.eventDrift = `${this.root}/event/drift`;
    this.eventHealth = `${this.root}/event/health`;
    this.stateContext = `${this.root}/state/context`;
    this.statePersonality = `${this.root}/state/personality`;
    this.stateDecision = `${this.root}/state/decision`;
    this.stateHolds = `${this.root}/state/holds`;
    this.stateWorkload = `${this.root}/state/workload`;
    this.stateNamespace = `${this.root}/state/namespace`;
    this.eventRejected = `${this.root}/event/rejected`;
    this.requests = `${this.root}/request/+`;
    this.clientRequests = `${this.root}/client/+/request/+`;
    this.presence = `${this.root}/client/+/presence`;
    this.eventSwitch = `${this.root}/event/switch`;
  }

  /** A client's own presence topic: `online`, retained, with a retained last will `offline`. */
  presenceOf(client: string): string {
    return this.client(client, 'presence');
  }

  /**
   * A client's own subtree, `client/<client>/<leaf>`: its requests, its answers, its presence.
   * `<client>` is the name the broker authenticated (the username in the shipped ACL).
   */
  client(client: string, leaf: string): string {
    return `${this.root}/client/${client}/${leaf}`;
  }

  /** Where a client sends a request: `client/<client>/request/<action>`. */
  clientRequest(client: string, action: string): string {
    return this.client(client, `request/${action}`);
  }

  /** Where a client's answers go unless an MQTT v5 response topic in its subtree says otherwise. */
  clientResponse(client: string, action: string): string {
    return this.client(client, `response/${action}`);
  }

  /**
   * Whether `topic` is one a client may name as its MQTT v5 response topic: under its own
   * `client/<client>/response/`, never its requests or presence, never another's.
   */
  isClientResponseTopic(client: string, topic: string): boolean {
    const prefix = `${this.root}/client/${client}/response/`;
    return topic.startsWith(prefix) && topic.length > prefix.length && !/[+#]/.test(topic);
  }

  /** The shared request topic of old: answered 410 on `response/<action>`. */
  request(action: string): string {
    return `${this.root}/request/${action}`;
  }

  response(action: string): string {
    return `${this.root}/response/${action}`;
  }

  /** The action of a shared request topic, or undefined for anything else. */
  actionOf(topic: string): string | undefined {
    const prefix = `${this.root}/request/`;
    return topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined;
  }

  /** The client and action of a client's request topic, or undefined for anything else. */
  clientRequestOf(topic: string): { client: string; action: string } | undefined {
    const prefix = `${this.root}/client/`;
    if (!topic.startsWith(prefix)) return undefined;
    const [client, request, action, ...rest] = topic.slice(prefix.length).split('/');
    return request === 'request' && rest.length === 0 && client && action ? { client, action } : undefined;
  }

  /** The client of a presence topic, or undefined for anything else. */
  clientOf(topic: string): string | undefined {
    const prefix = `${this.root}/client/`;
    if (!topic.startsWith(prefix) || !topic.endsWith('/presence')) return undefined;
    const client = topic.slice(prefix.length, -'/presence'.length);
    return client.length > 0 && !client.includes('/') ? client : undefined;
  }
}
