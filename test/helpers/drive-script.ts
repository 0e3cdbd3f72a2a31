import type { CanFrame, FrameSink, FrameSource } from '../../src/can/can-frame.js';
import type { SimulatedClock } from '../../src/common/clock.js';
import type { DbcMessage } from '../../src/signals/dbc-model.js';
import { encodeMessage } from '../../src/signals/message-codec.js';
import type { Vehicle } from '../../src/signals/signal-map.js';

/** A stretch of a scripted drive; without `silent`, the demo vehicle's messages at their cycle times. */
export interface Leg {
  seconds: number;
  /** km/h, constant or as a function of seconds into the leg. */
  speedKmh?: number | ((s: number) => number);
  /** VSS CurrentGear (126 park). */
  gear?: number;
  /** RMS of vertical acceleration, m/s² (a square wave of ±rms). */
  verticalRms?: number;
  /** Front-left wheel runs this fraction faster than the others. */
  slip?: number;
  /** No frames at all: the bus went quiet. */
  silent?: boolean;
  /** Runs when the leg begins (to place a hold, stop a broker), and is waited for. */
  onStart?: () => void | Promise<void>;
}

export const CAN_START_US = 1_767_258_000_000_000;

/**
 * Plays legs as CAN frames of the demo vehicle, encoded through its DBC, on a simulated
 * clock: the clock advances to each frame's time (firing the daemon's timers on the way),
 * so silence is real silence and nothing waits for real time.
 */
export class ScriptSource implements FrameSource {
  readonly description = 'script';
  readonly timeScale = 1;
  private stopped = false;

  private release: (() => void) | undefined;

  constructor(
    private readonly vehicle: Vehicle,
    private readonly legs: readonly Leg[],
    private readonly clock: SimulatedClock,
    /** After the last leg, wait (bus quiet, time still) until stopped, like a live source. */
    private readonly waitAtEnd = false,
  ) {}

  /** Stamped like a live interface: CAN time is the clock, so silence from the start is noticed. */
  nowUs(): number {
    return CAN_START_US + Math.round(this.clock.now() * 1000);
  }

  async start(sink: FrameSink): Promise<void> {
    const messages = [...new Set(this.vehicle.signals.map((s) => s.message))];
    let legStartMs = 0;
    let state = { speed: 0, gear: 126, rms: 0, slip: 0, flip: 1 };
    for (const leg of this.legs) {
      await leg.onStart?.();
      const events: Array<{ ms: number; message: DbcMessage }> = [];
      if (!leg.silent) {
        messages.forEach((message, i) => {
          const cycle = message.cycleTimeMs ?? 100;
          for (let ms = legStartMs + ((i * 0.37) % cycle); ms < legStartMs + leg.seconds * 1000; ms += cycle) events.push({ ms, message });
        });
        events.sort((a, b) => a.ms - b.ms);
      }
      for (const { ms, message } of events) {
        if (this.stopped) return;
        await this.clock.sleepUntil(ms);
        const s = (ms - legStartMs) / 1000;
        const speed = typeof leg.speedKmh === 'function' ? leg.speedKmh(s) : (leg.speedKmh ?? state.speed);
        state = { speed, gear: leg.gear ?? state.gear, rms: leg.verticalRms ?? state.rms, slip: leg.slip ?? state.slip, flip: message.name === 'Chassis' ? -state.flip : state.flip };
        sink(this.frame(message, ms, state));
      }
      legStartMs += leg.seconds * 1000;
      await this.clock.sleepUntil(legStartMs);
    }
    if (this.waitAtEnd && !this.stopped) await new Promise<void>((resolve) => (this.release = resolve));
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.release?.();
    return Promise.resolve();
  }

  private frame(message: DbcMessage, ms: number, v: { speed: number; gear: number; rms: number; slip: number; flip: number }): CanFrame {
    const values: Record<string, number> = {
      Speed: v.speed,
      SpeedValid: 1,
      Gear: v.gear,
      AccelVertical: v.rms * v.flip,
      WheelSpeedFL: v.speed * (1 + v.slip),
      WheelSpeedFR: v.speed,
      WheelSpeedRL: v.speed,
      WheelSpeedRR: v.speed,
    };
    const own = Object.fromEntries(message.signals.filter((s) => s.name in values).map((s) => [s.name, values[s.name]!]));
    return { timeUs: CAN_START_US + Math.round(ms * 1000), iface: 'vcan0', id: message.id, extended: message.extended, fd: false, remote: false, error: false, data: encodeMessage(message, own) };
  }
}
