import { createRequire } from 'node:module';
import { systemClock, type Clock } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { CanFrame, FrameSink, FrameSource } from './can-frame.js';

/** A received frame as the socketcan addon hands it over. */
export interface RawMessage {
  id: number;
  ext?: boolean;
  rtr?: boolean;
  err?: boolean;
  data: Buffer;
  ts_sec?: number;
  ts_usec?: number;
}

/** The part of socketcan's RawChannel this source uses. */
export interface RawChannelLike {
  addListener(event: 'onMessage', callback: (message: RawMessage) => void): void;
  addListener(event: 'onStopped', callback: () => void): void;
  setRxFilters(filters: Array<{ id: number; mask: number }>): void;
  start(): void;
  stop(): void;
}

export type ChannelFactory = (iface: string) => RawChannelLike;

/** A message the source asks the kernel to pass; all others are filtered out in the kernel. */
export interface ReceiveFilter {
  id: number;
  extended: boolean;
}

export interface SocketCanOptions {
  /** Without filters every frame is received. */
  filters?: readonly ReceiveFilter[];
  logger?: Logger;
  clock?: Clock;
  /** First and longest wait between attempts to reopen the interface. */
  backoffMs?: { initial: number; max: number };
  /** Opens a raw channel; the socketcan addon by default (tests inject a fake). */
  openChannel?: ChannelFactory;
}

export type ChannelState = 'opening' | 'open' | 'down' | 'stopped';

export interface SocketCanStats {
  frames: number;
  errorFrames: number;
  busOff: number;
  /** Times frames flowed again after the channel went down. */
  reopens: number;
}

/** linux/can.h: flag in an id filter that selects 29-bit frames, and the error class for bus-off. */
const CAN_EFF_FLAG = 0x80000000;
const CAN_SFF_MASK = 0x7ff;
const CAN_EFF_MASK = 0x1fffffff;
const CAN_ERR_BUSOFF = 0x40;

const require = createRequire(import.meta.url);

function openSocketCan(iface: string): RawChannelLike {
  const socketcan = require('socketcan') as { createRawChannel(name: string, timestamps: boolean): RawChannelLike };
  return socketcan.createRawChannel(iface, true);
}

/** Kernel receive filters: the id and its frame format must both match. */
export function kernelFilters(filters: readonly ReceiveFilter[]): Array<{ id: number; mask: number }> {
  return filters.map((f) =>
    f.extended ? { id: (f.id | CAN_EFF_FLAG) >>> 0, mask: (CAN_EFF_MASK | CAN_EFF_FLAG) >>> 0 } : { id: f.id, mask: (CAN_SFF_MASK | CAN_EFF_FLAG) >>> 0 },
  );
}

/**
 * Frames from a SocketCAN interface (raw socket, kernel timestamps). When the interface
 * goes down or the controller reports bus-off, the channel is closed, frames stop (so
 * their signals go stale), and the source reopens it with exponential backoff. It logs
 * each change of state once, never per frame.
 *
 * The addon calls once per received frame (its own recv and SIOCGSTAMP, an object and a
 * Buffer each), so each frame goes to the sink as it comes, a batch of one: holding frames
 * back here would add a timer without saving any of the addon's wake-ups.
 */
export class SocketCanSource implements FrameSource {
  readonly description: string;
  readonly timeScale = 1;

  /** Frames carry the kernel's receive time, the wall clock (see frameOf). */
  nowUs(): number {
    return Date.now() * 1000;
  }
  readonly stats: SocketCanStats = { frames: 0, errorFrames: 0, busOff: 0, reopens: 0 };
  private stateNow: ChannelState = 'stopped';
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoff: { initial: number; max: number };
  private readonly openChannel: ChannelFactory;
  private abort = new AbortController();
  private closeCurrent: (() => void) | undefined;
  private health: ((problem: string | undefined) => void) | undefined;

  constructor(
    private readonly iface: string,
    private readonly options: SocketCanOptions = {},
  ) {
    this.description = `socketcan:${iface}`;
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoffMs ?? { initial: 100, max: 5000 };
    this.openChannel = options.openChannel ?? openSocketCan;
  }

  onHealth(listener: (problem: string | undefined) => void): void {
    this.health = listener;
  }

  get state(): ChannelState {
    return this.stateNow;
  }

  async start(sink: FrameSink): Promise<void> {
    this.abort = new AbortController();
    const signal = this.abort.signal;
    let waitMs = this.backoff.initial;
    this.setState('opening');
    while (!signal.aborted) {
      // The channel counts as open once a frame arrives: a socket bound to an interface
      // that is down opens fine and then fails at once, which is not a recovery.
      const ended = this.runChannel(sink, signal, () => {
        if (this.stateNow === 'down') this.stats.reopens++;
        this.setState('open');
        waitMs = this.backoff.initial;
      });
      if (ended === undefined) {
        this.setState('down', `cannot open ${this.iface}; retrying with backoff up to ${this.backoff.max} ms`);
      } else {
        const reason = await ended;
        if (signal.aborted) break;
        this.setState('down', `${reason}; reopening with backoff up to ${this.backoff.max} ms`);
      }
      await this.clock.sleepUntil(this.clock.now() + waitMs, signal);
      waitMs = Math.min(this.backoff.max, waitMs * 2);
    }
    this.setState('stopped');
  }

  stop(): Promise<void> {
    this.abort.abort();
    this.closeCurrent?.();
    return Promise.resolve();
  }

  /**
   * Opens a channel and resolves with why it ended; undefined when it cannot be opened
   * (no such interface, no CAN support).
   */
  private runChannel(sink: FrameSink, signal: AbortSignal, onFirstFrame: () => void): Promise<string> | undefined {
    let channel: RawChannelLike;
    try {
      channel = this.openChannel(this.iface);
      if (this.options.filters && this.options.filters.length > 0) channel.setRxFilters(kernelFilters(this.options.filters));
    } catch (err) {
      this.log.debug(() => `open ${this.iface}: ${(err as Error).message}`);
      return undefined;
    }
    return new Promise<string>((resolve) => {
      let open = true;
      let first = true;
      const close = (reason: string): void => {
        if (!open) return;
        open = false;
        this.closeCurrent = undefined;
        channel.stop();
        resolve(reason);
      };
      this.closeCurrent = () => close('stopped');
      channel.addListener('onStopped', () => {
        // The addon has already shut the channel down: only record the end.
        if (!open) return;
        open = false;
        this.closeCurrent = undefined;
        resolve(`${this.iface} went down`);
      });
      channel.addListener('onMessage', (m) => {
        if (!open || signal.aborted) return;
        if (m.err) {
          this.stats.errorFrames++;
          if ((m.id & CAN_ERR_BUSOFF) !== 0) {
            this.stats.busOff++;
            close(`${this.iface} reported bus-off`);
          }
          return;
        }
        if (first) {
          first = false;
          onFirstFrame();
        }
        this.stats.frames++;
        sink(toFrame(this.iface, m));
      });
      channel.start();
    });
  }

  private setState(state: ChannelState, detail?: string): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    if (state === 'down') {
      this.log.warn(`${this.iface}: ${detail ?? 'down'}`);
      this.health?.(`CAN ${this.iface}: ${detail ?? 'down'}`);
    } else if (state === 'open') {
      this.log.info(`${this.iface}: receiving${this.options.filters ? ` (${this.options.filters.length} ids filtered in the kernel)` : ''}`);
      this.health?.(undefined);
    }
  }
}

function toFrame(iface: string, m: RawMessage): CanFrame {
  const timeUs = m.ts_sec !== undefined ? m.ts_sec * 1e6 + (m.ts_usec ?? 0) : Date.now() * 1000;
  return {
    timeUs,
    iface,
    id: m.id,
    extended: m.ext === true,
    // The addon does not say; only FD frames carry more than 8 bytes.
    fd: m.data.length > 8,
    remote: m.rtr === true,
    error: false,
    // A Buffer is a Uint8Array already: no second view per frame.
    data: m.data,
  };
}
