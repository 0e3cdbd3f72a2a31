import { DEFAULT_BATCH_WINDOW_MS } from '../can/can-frame.js';
import type { Vehicle } from './signal-map.js';

/**
 * How much of the shortest maximum age one batch of frames may span: a sixth, which is half
 * a period of a message whose maximum age is the usual three periods.
 */
const SHARE_OF_MAX_AGE = 1 / 6;

/**
 * The longest stretch of CAN time a source may gather into one batch of frames for this
 * vehicle: a sixth of the shortest maximum age among its signals, and no more than
 * DEFAULT_BATCH_WINDOW_MS. A batch holds its frames back until its end, and between batches
 * the daemon looks for silence by extrapolating CAN time from the last frame handed over: a
 * window near a maximum age makes signals that are still arriving look stale, and the context
 * flap. Held back half a period at most, a signal that keeps coming is never more than one
 * and a half periods old when the daemon looks, half its maximum age. A maximum age still to
 * be learned from the bus is not known here, and does not shorten the window.
 */
export function frameBatchWindowMs(vehicle: Vehicle): number {
  let windowMs = DEFAULT_BATCH_WINDOW_MS;
  for (const s of vehicle.signals) if (s.maxAgeMs !== undefined) windowMs = Math.min(windowMs, s.maxAgeMs * SHARE_OF_MAX_AGE);
  return windowMs;
}
