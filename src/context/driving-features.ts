import type { SignalSnapshot } from '../signals/signal-decoder.js';

/** The inputs of the driving-context statechart at one instant. */
export interface DrivingFeatures {
  readonly timeMs: number;
  /** Smoothed vehicle speed, km/h. */
  readonly speedKmh: number | null;
  /** VSS CurrentGear: -1 reverse, 0 neutral, 1.. forward, 126 park, 127 drive. */
  readonly gear: number | null;
  /** Root mean square of vertical acceleration over the recent window, m/s². */
  readonly verticalRms: number | null;
  /** Smoothed spread of the four wheel speeds relative to vehicle speed (0.1 = 10 %); null without wheel speeds. */
  readonly wheelSlip: number | null;
  /** Smoothed steering-wheel rate, °/s; null without a steering angle. */
  readonly steeringActivity: number | null;
  /** How long the vehicle has been at a standstill (0 while moving). */
  readonly standstillMs: number;
  /** Stops (moving → standstill) in the last minute. */
  readonly stopsPerMinute: number;
  /** Required VSS signals that are stale or were never received. */
  readonly missing: readonly string[];
}

export const SPEED = 'Vehicle.Speed';
export const GEAR = 'Vehicle.Powertrain.Transmission.CurrentGear';
export const VERTICAL_ACCELERATION = 'Vehicle.Acceleration.Vertical';
export const STEERING_ANGLE = 'Vehicle.Chassis.SteeringWheel.Angle';
export const WHEEL_SPEEDS = [
  'Vehicle.Chassis.Axle.Row1.Wheel.Left.Speed',
  'Vehicle.Chassis.Axle.Row1.Wheel.Right.Speed',
  'Vehicle.Chassis.Axle.Row2.Wheel.Left.Speed',
  'Vehicle.Chassis.Axle.Row2.Wheel.Right.Speed',
] as const;
/** Without these the context is unknown; the others refine it when present. */
export const REQUIRED_SIGNALS = [SPEED, GEAR] as const;

export interface FeatureOptions {
  /** Time constant of the speed smoothing. */
  speedTauMs?: number;
  /** Time constant of the vertical-acceleration RMS, the wheel slip and the steering activity. */
  roadTauMs?: number;
  /** Speeds at or below this count as standstill (EU RDE: 1 km/h). */
  standstillKmh?: number;
  /** Below this speed wheel slip is measured against this speed instead, so creeping does not read as slip. */
  slipFloorKmh?: number;
}

/** Stops remembered for the per-minute count: more than any plausible minute of driving holds. */
const STOP_HISTORY = 64;
const MINUTE_MS = 60_000;

/**
 * Turns signal snapshots into driving features in O(1) time and memory per update:
 * exponential moving averages whose weights come from the elapsed time (so the result
 * does not depend on how often it is sampled), and a fixed ring of recent stop times.
 */
export class FeatureExtractor {
  private readonly speedTauMs: number;
  private readonly roadTauMs: number;
  private readonly standstillKmh: number;
  private readonly slipFloorKmh: number;
  private lastTimeMs: number | undefined;
  private speed: number | null = null;
  private meanSquare: number | null = null;
  private slip: number | null = null;
  private steeringRate: number | null = null;
  private lastSteering: { angle: number; timeMs: number } | undefined;
  private standstillSinceMs: number | undefined;
  private readonly stopTimes = new Float64Array(STOP_HISTORY).fill(Number.NEGATIVE_INFINITY);
  private stopIndex = 0;

  constructor(options: FeatureOptions = {}) {
    this.speedTauMs = options.speedTauMs ?? 500;
    this.roadTauMs = options.roadTauMs ?? 2000;
    this.standstillKmh = options.standstillKmh ?? 1;
    this.slipFloorKmh = options.slipFloorKmh ?? 5;
  }

  update(snapshot: SignalSnapshot, timeMs: number): DrivingFeatures {
    const dt = this.lastTimeMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, timeMs - this.lastTimeMs);
    this.lastTimeMs = timeMs;
    const speed = snapshot[SPEED]?.value;
    const vertical = snapshot[VERTICAL_ACCELERATION]?.value;
    this.speed = speed === undefined ? null : ema(this.speed, speed, dt, this.speedTauMs);
    this.meanSquare = vertical === undefined ? null : ema(this.meanSquare, vertical * vertical, dt, this.roadTauMs);
    this.updateSlip(snapshot, speed, dt);
    this.updateSteering(snapshot, timeMs, dt);
    this.updateStandstill(timeMs);
    return {
      timeMs,
      speedKmh: this.speed,
      gear: snapshot[GEAR]?.value ?? null,
      verticalRms: this.meanSquare === null ? null : Math.sqrt(this.meanSquare),
      wheelSlip: this.slip,
      steeringActivity: this.steeringRate,
      standstillMs: this.standstillSinceMs === undefined ? 0 : timeMs - this.standstillSinceMs,
      stopsPerMinute: this.stopsSince(timeMs - MINUTE_MS),
      missing: REQUIRED_SIGNALS.filter((name) => !snapshot[name]),
    };
  }

  private updateSlip(snapshot: SignalSnapshot, speed: number | undefined, dt: number): void {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const name of WHEEL_SPEEDS) {
      const wheel = snapshot[name]?.value;
      if (wheel === undefined) {
        this.slip = null;
        return;
      }
      min = Math.min(min, wheel);
      max = Math.max(max, wheel);
    }
    if (speed === undefined) {
      this.slip = null;
      return;
    }
    this.slip = ema(this.slip, (max - min) / Math.max(speed, this.slipFloorKmh), dt, this.roadTauMs);
  }

  private updateSteering(snapshot: SignalSnapshot, timeMs: number, dt: number): void {
    const angle = snapshot[STEERING_ANGLE]?.value;
    if (angle === undefined) {
      this.steeringRate = null;
      this.lastSteering = undefined;
      return;
    }
    const previous = this.lastSteering;
    this.lastSteering = { angle, timeMs };
    if (previous === undefined || timeMs <= previous.timeMs) return;
    const rate = Math.abs(angle - previous.angle) / ((timeMs - previous.timeMs) / 1000);
    this.steeringRate = ema(this.steeringRate, rate, dt, this.roadTauMs);
  }

  private updateStandstill(timeMs: number): void {
    if (this.speed !== null && this.speed <= this.standstillKmh) {
      if (this.standstillSinceMs === undefined) {
        this.standstillSinceMs = timeMs;
        this.stopTimes[this.stopIndex] = timeMs;
        this.stopIndex = (this.stopIndex + 1) % STOP_HISTORY;
      }
    } else {
      this.standstillSinceMs = undefined;
    }
  }

  private stopsSince(sinceMs: number): number {
    let n = 0;
    for (const t of this.stopTimes) if (t > sinceMs) n++;
    return n;
  }
}

function ema(previous: number | null, sample: number, dtMs: number, tauMs: number): number {
  if (previous === null || !Number.isFinite(dtMs)) return sample;
  const alpha = 1 - Math.exp(-dtMs / tauMs);
  return previous + alpha * (sample - previous);
}
