import type { SignalSnapshot } from '../signals/signal-decoder.js';

/** The inputs of the driving-context statechart at one instant. */
export interface DrivingFeatures {
  readonly timeMs: number;
  /** Smoothed vehicle speed, km/h. */
  readonly speedKmh: number | null;
  /** VSS CurrentGear: -1 reverse, 0 neutral, 1.. forward, 126 park. */
  readonly gear: number | null;
  /** Root mean square of vertical acceleration over the recent window, m/s². */
  readonly verticalRms: number | null;
  /** How long the vehicle has been at a standstill (0 while moving). */
  readonly standstillMs: number;
  /** Required VSS signals that are stale or were never received. */
  readonly missing: readonly string[];
}

export const SPEED = 'Vehicle.Speed';
export const GEAR = 'Vehicle.Powertrain.Transmission.CurrentGear';
export const VERTICAL_ACCELERATION = 'Vehicle.Acceleration.Vertical';
export const REQUIRED_SIGNALS = [SPEED, GEAR, VERTICAL_ACCELERATION] as const;

export interface FeatureOptions {
  /** Time constant of the speed smoothing. */
  speedTauMs?: number;
  /** Time constant of the vertical-acceleration RMS. */
  rmsTauMs?: number;
  /** Speeds at or below this count as standstill. */
  standstillKmh?: number;
}

/**
 * Turns signal snapshots into driving features in O(1) time and memory per update:
 * exponential moving averages whose weights come from the elapsed time, so the result
 * does not depend on how often it is sampled.
 */
export class FeatureExtractor {
  private readonly speedTauMs: number;
  private readonly rmsTauMs: number;
  private readonly standstillKmh: number;
  private lastTimeMs: number | undefined;
  private speed: number | null = null;
  private meanSquare: number | null = null;
  private standstillSinceMs: number | undefined;

  constructor(options: FeatureOptions = {}) {
    this.speedTauMs = options.speedTauMs ?? 500;
    this.rmsTauMs = options.rmsTauMs ?? 2000;
    this.standstillKmh = options.standstillKmh ?? 1;
  }

  update(snapshot: SignalSnapshot, timeMs: number): DrivingFeatures {
    const dt = this.lastTimeMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, timeMs - this.lastTimeMs);
    this.lastTimeMs = timeMs;
    const speed = snapshot[SPEED]?.value;
    const vertical = snapshot[VERTICAL_ACCELERATION]?.value;
    this.speed = speed === undefined ? null : ema(this.speed, speed, dt, this.speedTauMs);
    this.meanSquare = vertical === undefined ? null : ema(this.meanSquare, vertical * vertical, dt, this.rmsTauMs);
    if (this.speed !== null && this.speed <= this.standstillKmh) this.standstillSinceMs ??= timeMs;
    else this.standstillSinceMs = undefined;
    return {
      timeMs,
      speedKmh: this.speed,
      gear: snapshot[GEAR]?.value ?? null,
      verticalRms: this.meanSquare === null ? null : Math.sqrt(this.meanSquare),
      standstillMs: this.standstillSinceMs === undefined ? 0 : timeMs - this.standstillSinceMs,
      missing: REQUIRED_SIGNALS.filter((name) => !snapshot[name]),
    };
  }
}

function ema(previous: number | null, sample: number, dtMs: number, tauMs: number): number {
  if (previous === null || !Number.isFinite(dtMs)) return sample;
  const alpha = 1 - Math.exp(-dtMs / tauMs);
  return previous + alpha * (sample - previous);
}
