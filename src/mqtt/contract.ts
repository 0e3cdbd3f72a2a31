/**
 * The MQTT topic contract: every topic persona publishes and every payload type.
 * Nothing outside this module builds a topic string.
 */

export type BackendKindName = 'simulated' | 'kmod' | 'sysfs';

/** `persona/<ecu-id>/status`, retained; the last will publishes `offline`. */
export interface StatusPayload {
  state: 'online' | 'offline';
  /** Present while online: which backend applies parameters. */
  backend?: BackendKindName;
  /** Human-readable note, e.g. that the simulated backend is in use. */
  note?: string;
}

/** `persona/<ecu-id>/state/context`, retained. */
export interface ContextPayload {
  context: string;
  /** ISO time (pipeline clock) the context was entered. */
  since: string;
  speedKmh: number | null;
}

/** One driver's entry in `state/personality`. */
export interface DriverPersonality {
  personality: string;
  generation: number;
  since: string;
  /** Values as read back from the backend, in manifest units ("4ms", "256KB"). */
  parameters: Record<string, string>;
}

/** `persona/<ecu-id>/state/personality`, retained. */
export interface PersonalityPayload {
  backend: BackendKindName;
  drivers: Record<string, DriverPersonality>;
}

/** `persona/<ecu-id>/event/switch`, not retained. */
export interface SwitchPayload {
  time: string;
  driver: string;
  from: string | null;
  to: string;
  trigger: { context: string; rule: string };
  changes: Array<{ name: string; from: string | null; to: string }>;
  durationMs: number;
  generation: number;
}

/** Topics under `persona/<ecu-id>/`. */
export class Topics {
  readonly root: string;
  readonly status: string;
  readonly stateContext: string;
  readonly statePersonality: string;
  readonly eventSwitch: string;

  constructor(ecuId: string) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(ecuId)) throw new RangeError(`ecu id "${ecuId}" must be 1–64 letters, digits, '-' or '_' (no MQTT wildcards or '/')`);
    this.root = `persona/${ecuId}`;
    this.status = `${this.root}/status`;
    this.stateContext = `${this.root}/state/context`;
    this.statePersonality = `${this.root}/state/personality`;
    this.eventSwitch = `${this.root}/event/switch`;
  }
}
