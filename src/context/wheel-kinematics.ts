import type { VehicleGeometry } from '../signals/signal-map.js';

/** The rear-axle-centre radius of a passenger car's tightest turn (an 11 m turning circle at the outer front wheel). */
const MIN_RADIUS_M = 4;
/** Ordinary driving stays well under 0.6 g of lateral acceleration: a turn that would need more is not what spread the wheels. */
const MAX_LATERAL_MS2 = 6;
const GOLDEN = (Math.sqrt(5) - 1) / 2;
const SEARCH_STEPS = 40;

/**
 * The spread of the four wheel speeds that turning cannot explain, as a share of `speedKmh`.
 *
 * In a turn the wheels run at different speeds even on dry tarmac: a rigid car turning about
 * a point on its rear axle line (low-speed kinematics) moves each wheel in proportion to its
 * distance from that point, so a tight car-park turn spreads them by 10 % and more. This fits
 * the curvature that best explains the four speeds (least squares over the wheel positions),
 * bounded by what the car does at that speed; what remains is slip. The steering angle is not
 * used: a map that gets its sign wrong (a separate sign bit is easy to miss) would make every
 * turn read as slip, while the wheels themselves cannot be wrong about the turn. A wheel that
 * slips alone is still seen, in part: a fit cannot turn one wheel's excess into a whole turn.
 * Wheels in the order front left, front right, rear left, rear right (VSS Row1/Row2, Left/Right).
 */
export function unexplainedWheelSpread(wheels: readonly [number, number, number, number], speedKmh: number, floorKmh: number, geometry: VehicleGeometry): number {
  // A signed speed (some buses count reverse as negative) turns the same way.
  const speed = Math.abs(speedKmh);
  const v = speed / 3.6;
  const bound = Math.min(1 / MIN_RADIUS_M, v > 0 ? MAX_LATERAL_MS2 / (v * v) : Number.POSITIVE_INFINITY);
  let a = -bound;
  let b = bound;
  let c = b - GOLDEN * (b - a);
  let d = a + GOLDEN * (b - a);
  let fc = misfit(wheels, c, geometry).squares;
  let fd = misfit(wheels, d, geometry).squares;
  for (let k = 0; k < SEARCH_STEPS && b - a > 1e-6; k++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - GOLDEN * (b - a);
      fc = misfit(wheels, c, geometry).squares;
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + GOLDEN * (b - a);
      fd = misfit(wheels, d, geometry).squares;
    }
  }
  return misfit(wheels, (a + b) / 2, geometry).spread / Math.max(speed, floorKmh);
}

/**
 * With curvature κ, each wheel at (x forward of the rear axle, y left of the centre line)
 * runs at v·√((κx)² + (1 − κy)²); v is fitted, and the residuals are what κ leaves unexplained.
 */
function misfit(wheels: readonly number[], kappa: number, geometry: VehicleGeometry): { squares: number; spread: number } {
  const half = geometry.trackM / 2;
  const front = kappa * geometry.wheelbaseM;
  const gFL = Math.hypot(front, 1 - kappa * half);
  const gFR = Math.hypot(front, 1 + kappa * half);
  const gRL = Math.abs(1 - kappa * half);
  const gRR = Math.abs(1 + kappa * half);
  const [fl, fr, rl, rr] = wheels as [number, number, number, number];
  const v = (fl * gFL + fr * gFR + rl * gRL + rr * gRR) / (gFL * gFL + gFR * gFR + gRL * gRL + gRR * gRR);
  const r0 = fl - v * gFL;
  const r1 = fr - v * gFR;
  const r2 = rl - v * gRL;
  const r3 = rr - v * gRR;
  return { squares: r0 * r0 + r1 * r1 + r2 * r2 + r3 * r3, spread: Math.max(r0, r1, r2, r3) - Math.min(r0, r1, r2, r3) };
}
