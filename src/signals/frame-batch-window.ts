import { DEFAULT_BATCH_WINDOW_MS } from '../can/can-frame.js';
import type { Vehicle } from './signal-map.js';

/**
 * How much of the shortest maximum age one batch of frames may span: a sixth, which is half
 * a period of a message whose maximum age is the usual three periods.
 */
const SHARE_OF_MAX_AGE = 1 / 6;

/**
 * What a maximum age still to be learned from the bus is taken to be until then: three periods
 * of a 5 ms message, as fast as the messages of most buses come. Real DBC files often give no
 * cycle time, and a window longer than a fast message's maximum age allows makes it flap.
 */
const UNLEARNED_MAX_AGE_MS = 15;

/**
 * The longest stretch of CAN time a source may gather into one batch of frames for this
 * vehicle: a sixth of the shortest maximum age among its signals, and no more than
 * DEFAULT_BATCH_WINDOW_MS. A batch holds its frames back until its end, and between batches
 * the daemon looks for silence by extrapolating CAN time from the last frame handed over: a
 * window near a maximum age makes signals that are still arriving look stale, and the context
 * flap. Held back half a period at most, a signal that keeps coming is never more than one
 * and a half periods old when the daemon looks, half its maximum age. A maximum age still to
 * be learned from the bus counts as UNLEARNED_MAX_AGE_MS.
 */
export function frameBatchWindowMs(vehicle: Vehicle): number {
  let windowMs = DEFAULT_BATCH_WINDOW_MS;
  for (const s of vehicle.signals) windowMs = Math.min(windowMs, (s.maxAgeMs ?? UNLEARNED_MAX_AGE_MS) * SHARE_OF_MAX_AGE);
  return windowMs;
}
