import { systemClock, type Clock } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { DEFAULT_BATCH_WINDOW_MS, deliverBatch, type FrameSink, type FrameSource } from './can-frame.js';
import { CAN_EFF_FLAG, CAN_EFF_MASK, CAN_SFF_MASK, decodeCanRecords, openCanSocket, socketDrops, type CanSocket, type CanSocketOpener } from './can-socket.js';

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
  /**
   * While frames keep coming, how long the socket gathers them before it hands them over
   * (frameBatchWindowMs of the vehicle); DEFAULT_BATCH_WINDOW_MS unless told.
   */
  batchWindowMs?: number;
  /** Opens a raw CAN socket: persona's addon by default (tests inject a fake). */
  openSocket?: CanSocketOpener;
}

export type ChannelState = 'opening' | 'open' | 'down' | 'stopped';

export interface SocketCanStats {
  frames: number;
  errorFrames: number;
  busOff: number;
  /** Frames the kernel dropped because a socket's receive buffer was full. */
  dropped: number;
  /** Times frames flowed again after the channel went down. */
  reopens: number;
}

/** linux/can/error.h: the error class for bus-off. */
const CAN_ERR_BUSOFF = 0x40;

/** Kernel receive filters: the id and its frame format must both match. */
export function kernelFilters(filters: readonly ReceiveFilter[]): Array<{ id: number; mask: number }> {
  return filters.map((f) =>
    f.extended ? { id: (f.id | CAN_EFF_FLAG) >>> 0, mask: (CAN_EFF_MASK | CAN_EFF_FLAG) >>> 0 } : { id: f.id, mask: (CAN_SFF_MASK | CAN_EFF_FLAG) >>> 0 },
  );
}

/** The filters as the addon takes them: id, mask pairs; null (every frame) without filters. */
function filterPairs(filters: readonly ReceiveFilter[] | undefined): Uint32Array | null {
  if (!filters || filters.length === 0) return null;
  return Uint32Array.from(kernelFilters(filters).flatMap((f) => [f.id, f.mask]));
}

/**
 * Frames from a SocketCAN interface (raw socket, kernel timestamps, kernel receive filters).
 * persona's addon reads the socket with recvmmsg and hands over every frame one wake-up found
 * as one batch; while frames keep coming it wakes up once per batch window, not once per
 * frame. When the interface goes down or the controller reports bus-off, the socket is
 * closed, frames stop (so their signals go stale), and the source reopens it with exponential
 * backoff. It logs each change of state once, never per frame.
 */
export class SocketCanSource implements FrameSource {
  readonly description: string;
  readonly timeScale = 1;

  /** Frames carry the kernel's receive time, the wall clock. */
  nowUs(): number {
    return Date.now() * 1000;
  }
  readonly stats: SocketCanStats = { frames: 0, errorFrames: 0, busOff: 0, dropped: 0, reopens: 0 };
  private stateNow: ChannelState = 'stopped';
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoff: { initial: number; max: number };
  /** How long the socket gathers frames while they keep coming. */
  readonly batchWindowMs: number;
  private readonly filters: Uint32Array | null;
  private readonly openSocket: CanSocketOpener;
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
    this.batchWindowMs = options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS;
    if (!(this.batchWindowMs >= 0) || !Number.isFinite(this.batchWindowMs)) throw new RangeError(`socketcan batch window must be a finite number of ms ≥ 0, got ${this.batchWindowMs}`);
    this.filters = filterPairs(options.filters);
    this.openSocket = options.openSocket ?? openCanSocket;
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
      // The socket counts as open once a frame arrives: a socket bound to an interface
      // that is down opens fine and then fails at once, which is not a recovery.
      const ended = this.runSocket(sink, signal, () => {
        if (this.stateNow === 'down') this.stats.reopens++;
        this.setState('open');
        waitMs = this.backoff.initial;
      });
      if (typeof ended === 'string') {
        this.setState('down', `cannot open ${this.iface} (${ended}); retrying with backoff up to ${this.backoff.max} ms`);
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
   * Opens a socket and resolves with why it ended; the error's message when it cannot be
   * opened (no such interface, no CAN support).
   */
  private runSocket(sink: FrameSink, signal: AbortSignal, onFirstFrame: () => void): Promise<string> | string {
    let socket: CanSocket | undefined;
    let open = true;
    let first = true;
    let busOff = false;
    let drops = 0;
    let resolveEnd: (reason: string) => void = () => undefined;
    const ended = new Promise<string>((resolve) => (resolveEnd = resolve));
    const end = (reason: string): void => {
      if (!open) return;
      open = false;
      this.closeCurrent = undefined;
      socket?.close();
      resolveEnd(reason);
    };
    const stopped = (): boolean => !open || signal.aborted;
    const onErrorFrame = (errorClass: number): boolean => {
      this.stats.errorFrames++;
      if ((errorClass & CAN_ERR_BUSOFF) === 0) return false;
      this.stats.busOff++;
      busOff = true;
      return true;
    };
    try {
      socket = this.openSocket(this.iface, this.filters, this.batchWindowMs, (error, records) => {
        if (stopped()) return;
        if (error) {
          end(error.code === 'ENETDOWN' ? `${this.iface} went down` : `receiving failed: ${error.message}`);
          return;
        }
        const frames = decodeCanRecords(records!, this.iface, onErrorFrame);
        const dropped = socketDrops(records!);
        if (dropped > drops) {
          // Once per socket: a buffer too small for the bursts stays too small.
          if (drops === 0) this.log.warn(`${this.iface}: the kernel dropped frames, the socket's receive buffer full; give CAN sockets deeper buffers (sysctl net.core.rmem_default)`);
          this.stats.dropped += dropped - drops;
          drops = dropped;
        }
        if (frames.length > 0) {
          if (first) {
            first = false;
            onFirstFrame();
          }
          this.stats.frames += deliverBatch(sink, frames, stopped);
        }
        if (busOff) end(`${this.iface} reported bus-off`);
      });
    } catch (err) {
      this.log.debug(() => `open ${this.iface}: ${(err as Error).message}`);
      return (err as Error).message;
    }
    this.closeCurrent = () => end('stopped');
    return ended;
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
