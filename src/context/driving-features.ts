import type { SignalSnapshot } from '../signals/signal-decoder.js';
import { DEFAULT_GEOMETRY, type VehicleGeometry } from '../signals/signal-map.js';
import { unexplainedWheelSpread } from './wheel-kinematics.js';

/** The inputs of the driving-context statechart at one instant. */
export interface DrivingFeatures {
  readonly timeMs: number;
  /** Smoothed vehicle speed, km/h. */
  readonly speedKmh: number | null;
  /** VSS CurrentGear: -1 reverse, 0 neutral, 1.. forward, 126 park, 127 drive. */
  readonly gear: number | null;
  /** Root mean square of vertical acceleration over the recent window, m/s². */
  readonly verticalRms: number | null;
  /** Smoothed spread of the four wheel speeds that turning does not explain, relative to vehicle speed (0.1 = 10 %); null without wheel speeds. */
  readonly wheelSlip: number | null;
  /** Smoothed steering-wheel rate, °/s; null without a steering angle. */
  readonly steeringActivity: number | null;
  /** How long the vehicle has been at a standstill (0 while moving). */
  readonly standstillMs: number;
  /** Stops (moving → standstill) in the last minute. */
  readonly stopsPerMinute: number;
  /** Required VSS signals that were never received, or stale for longer than the grace. */
  readonly missing: readonly string[];
  /** How long the required signals have been present without a loss (0 while missing). */
  readonly requiredPresentMs: number;
  /** Optional VSS signals the vehicle maps that are stale now: the features that read them are null. */
  readonly degraded: readonly string[];
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
/** Without these the context is unknown. */
export const REQUIRED_SIGNALS = [SPEED] as const;
/** These refine the context when present; stale, they degrade the features that read them and nothing else. */
export const OPTIONAL_SIGNALS = [GEAR, STEERING_ANGLE, VERTICAL_ACCELERATION, ...WHEEL_SPEEDS] as const;

export interface FeatureOptions {
  /** Time constant of the speed smoothing. */
  speedTauMs?: number;
  /** Time constant of the vertical-acceleration RMS, the wheel slip and the steering activity. */
  roadTauMs?: number;
  /** Speeds at or below this count as standstill (EU RDE: 1 km/h). */
  standstillKmh?: number;
  /** Below this speed wheel slip is measured against this speed instead, so creeping does not read as slip. */
  slipFloorKmh?: number;
  /** A required signal stale for less than this is a gap, not a loss: the last value stands. */
  requiredGraceMs?: number;
  /** Where the wheels are, to tell a turn from slip. */
  geometry?: VehicleGeometry;
}

/** One lost frame or two of a real bus, or an ECU's brief reset, is not a lost signal. */
export const DEFAULT_REQUIRED_GRACE_MS = 1000;

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
  private readonly requiredGraceMs: number;
  private readonly geometry: VehicleGeometry;
  private speedSeenMs: number | undefined;
  private requiredSinceMs: number | undefined;
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
    this.requiredGraceMs = options.requiredGraceMs ?? DEFAULT_REQUIRED_GRACE_MS;
    this.geometry = options.geometry ?? DEFAULT_GEOMETRY;
  }

  update(snapshot: SignalSnapshot, timeMs: number): DrivingFeatures {
    const dt = this.lastTimeMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, timeMs - this.lastTimeMs);
    this.lastTimeMs = timeMs;
    const speed = snapshot[SPEED]?.value;
    const vertical = snapshot[VERTICAL_ACCELERATION]?.value;
    if (speed !== undefined) this.speedSeenMs = timeMs;
    const speedLost = this.speedSeenMs === undefined || timeMs - this.speedSeenMs > this.requiredGraceMs;
    // Within the grace the smoothed speed stands as it was.
    if (speed !== undefined) this.speed = ema(this.speed, speed, dt, this.speedTauMs);
    else if (speedLost) this.speed = null;
    if (speedLost) this.requiredSinceMs = undefined;
    else this.requiredSinceMs ??= timeMs;
    this.meanSquare = vertical === undefined ? null : ema(this.meanSquare, vertical * vertical, dt, this.roadTauMs);
    this.updateSlip(snapshot, dt);
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
      missing: speedLost ? REQUIRED_SIGNALS : [],
      requiredPresentMs: this.requiredSinceMs === undefined ? 0 : timeMs - this.requiredSinceMs,
      degraded: OPTIONAL_SIGNALS.filter((name) => snapshot[name] === null),
    };
  }

  private updateSlip(snapshot: SignalSnapshot, dt: number): void {
    const [fl, fr, rl, rr] = WHEEL_SPEEDS.map((name) => snapshot[name]?.value);
    if (fl === undefined || fr === undefined || rl === undefined || rr === undefined || this.speed === null) {
      this.slip = null;
      return;
    }
    const spread = unexplainedWheelSpread([fl, fr, rl, rr], this.speed, this.slipFloorKmh, this.geometry);
    this.slip = ema(this.slip, spread, dt, this.roadTauMs);
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
