import type { DbcMessage, DbcSignal } from '../src/signals/dbc-model.js';
import { multiplexConditions } from '../src/signals/dbc-multiplex.js';
import { encodeMessage } from '../src/signals/message-codec.js';
import { mulberry32 } from '../src/common/prng.js';

/** Cycle time assumed for messages whose DBC gives none (no GenMsgCycleTime, no default). */
export const FALLBACK_CYCLE_MS = 100;

/** A message on the simulated bus and how often it is sent. */
export interface BusMessage {
  readonly vehicle: string;
  readonly message: DbcMessage;
  readonly cycleTimeMs: number;
  /** False when the DBC has no cycle time for it and FALLBACK_CYCLE_MS is used. */
  readonly cycleFromDbc: boolean;
}

export function busMessages(vehicle: string, messages: readonly DbcMessage[]): BusMessage[] {
  return messages.map((message) => ({
    vehicle,
    message,
    cycleTimeMs: message.cycleTimeMs ?? FALLBACK_CYCLE_MS,
    cycleFromDbc: message.cycleTimeMs !== undefined,
  }));
}

/** Frames in memory: parallel arrays, payloads are views into one buffer. */
export interface FrameMix {
  readonly count: number;
  readonly ids: Uint32Array;
  /** 1 for 29-bit identifiers. */
  readonly extended: Uint8Array;
  /** Index into `messages` of each frame's message. */
  readonly messageIndex: Uint16Array;
  readonly payloads: Uint8Array[];
  readonly messages: readonly BusMessage[];
}

/** Inclusive raw (pre factor/offset) range: the DBC [min|max] when given and sane, else all the bits allow. */
function rawRange(signal: DbcSignal): [number, number] {
  const bitsLow = signal.signed ? -(2 ** (signal.length - 1)) : 0;
  const bitsHigh = signal.signed ? 2 ** (signal.length - 1) - 1 : 2 ** signal.length - 1;
  if (signal.minimum < signal.maximum && signal.factor !== 0) {
    const a = (signal.minimum - signal.offset) / signal.factor;
    const b = (signal.maximum - signal.offset) / signal.factor;
    const low = Math.max(bitsLow, Math.ceil(Math.min(a, b) - 1e-9));
    const high = Math.min(bitsHigh, Math.floor(Math.max(a, b) + 1e-9));
    if (low <= high) return [low, high];
  }
  return [bitsLow, bitsHigh];
}

/** Uniform integer in [low, high]; two draws so ranges wider than 32 bits are covered too. */
function randomInt(random: () => number, low: number, high: number): number {
  const span = high - low + 1;
  const u = span > 4294967296 ? (Math.floor(random() * 2097152) * 4294967296 + Math.floor(random() * 4294967296)) / 2 ** 53 : random();
  return Math.min(high, low + Math.floor(u * span));
}

interface Generator {
  readonly message: DbcMessage;
  /** Raw values a switch may take: the multiplex values some signal is selected by. */
  readonly switchValues: Map<DbcSignal, number[]>;
  readonly ranges: Map<DbcSignal, [number, number]>;
}

function generatorFor(message: DbcMessage): Generator {
  const conditions = multiplexConditions(message);
  if (typeof conditions === 'string') throw new Error(conditions);
  const switchValues = new Map<DbcSignal, number[]>();
  for (const { switchSignal, ranges } of conditions.values()) {
    const values = switchValues.get(switchSignal) ?? [];
    for (const [low, high] of ranges) {
      for (let v = low; v <= Math.min(high, low + 255); v++) if (!values.includes(v)) values.push(v);
    }
    switchValues.set(switchSignal, values);
  }
  return { message, switchValues, ranges: new Map(message.signals.map((s) => [s, rawRange(s)])) };
}

/** One payload with every signal at a random in-range value and each switch at a value that selects something. */
function randomPayload(generator: Generator, random: () => number): Uint8Array {
  const values: Record<string, number> = {};
  for (const signal of generator.message.signals) {
    let raw: number;
    const choices = generator.switchValues.get(signal);
    if (signal.valueType !== 'integer') {
      const low = signal.minimum < signal.maximum ? signal.minimum : -1000;
      const high = signal.minimum < signal.maximum ? signal.maximum : 1000;
      raw = (low + random() * (high - low) - signal.offset) / signal.factor;
    } else if (choices !== undefined && choices.length > 0) {
      raw = choices[Math.floor(random() * choices.length)] as number;
    } else {
      const [low, high] = generator.ranges.get(signal) as [number, number];
      raw = randomInt(random, low, high);
    }
    values[signal.name] = raw * signal.factor + signal.offset;
  }
  return encodeMessage(generator.message, values);
}

/**
 * `count` frames in bus order: every message is sent periodically with its cycle time from a
 * random phase, so faster messages appear proportionally more often; payloads are random.
 */
export function generateFrameMix(messages: readonly BusMessage[], count: number, seed: number): FrameMix {
  const random = mulberry32(seed);
  const generators = messages.map((m) => generatorFor(m.message));
  const nextTime = messages.map((m) => random() * m.cycleTimeMs);
  const ids = new Uint32Array(count);
  const extended = new Uint8Array(count);
  const messageIndex = new Uint16Array(count);
  const payloadLength = messages.reduce((sum, m) => Math.max(sum, m.message.length), 0);
  const bytes = new Uint8Array(count * payloadLength);
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    let next = 0;
    for (let j = 1; j < messages.length; j++) if ((nextTime[j] as number) < (nextTime[next] as number)) next = j;
    const { message, cycleTimeMs } = messages[next] as BusMessage;
    nextTime[next] = (nextTime[next] as number) + cycleTimeMs;
    ids[i] = message.id;
    extended[i] = message.extended ? 1 : 0;
    messageIndex[i] = next;
    const payload = bytes.subarray(i * payloadLength, i * payloadLength + message.length);
    payload.set(randomPayload(generators[next] as Generator, random));
    payloads.push(payload);
  }
  return { count, ids, extended, messageIndex, payloads, messages };
}
