import { SimulatedClock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { StatePublisher } from '../mqtt/contract.js';
import { SignalDecoder, type DecoderStats } from '../signals/signal-decoder.js';
import { loadVehicle, type Vehicle } from '../signals/signal-map.js';
import { buildDaemon } from './build-daemon.js';
import type { PersonaConfig } from './config.js';
import type { DecisionRecord } from './decision-record.js';

/** Publishes nowhere: an offline simulation has no broker. */
export class OfflinePublisher implements StatePublisher {
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  publishContext(): void {}
  publishPersonality(): void {}
  publishDecision(): void {}
  publishHolds(): void {}
  publishWorkload(): void {}
  publishRejected(): void {}
  publishInfo(): void {}
  publishManifestEvent(): void {}
  setDegraded(): void {}
  publishDrift(): void {}
  publishHealth(): void {}
  publishSwitch(): void {}
}

/**
 * A simulation's clock: simulated, with the replayed drive's CAN time for its wall clock. A
 * replay as fast as possible has no wall time of its own, and a drive's frames were stamped by
 * the wall clock of the car that recorded it: so a decision carries, as `time` and as
 * `canTime` alike, the moment the car's daemon would have published it at.
 */
class DriveClock extends SimulatedClock {
  constructor(private readonly canTimeMs: () => number) {
    super();
  }

  override wallNow(): number {
    return this.canTimeMs();
  }
}

export interface SimulationResult {
  readonly decisions: DecisionRecord[];
  readonly vehicle: Vehicle;
  /** What the decoder made of the log's frames: few decoded means a log of another vehicle. */
  readonly frames: DecoderStats;
}

/**
 * Runs the whole decision pipeline over a replay, as fast as possible, on a simulated
 * clock and the simulated backend, and returns every decision. What integrators tune
 * thresholds and policies with. Its wall clock is the drive's CAN time (see DriveClock).
 */
export async function simulate(config: PersonaConfig, logger: Logger, onDecision?: (record: DecisionRecord) => void): Promise<SimulationResult> {
  if (!config.can.startsWith('replay:')) throw new RangeError(`a simulation replays a log: --can must be replay:FILE, not ${config.can}`);
  const decisions: DecisionRecord[] = [];
  const vehicle = loadVehicle(config.vehicle);
  const decoder = new SignalDecoder(vehicle);
  const create = await buildDaemon({ ...config, speed: 0, loop: false }, {
    logger,
    decoder,
    // The daemon exists before the clock is read: its first decision comes with the first frame.
    clock: new DriveClock(() => daemon.timeMs),
    observer: {
      decided: (record) => {
        decisions.push(record);
        onDecision?.(record);
      },
    },
  });
  const daemon = create({ publisher: new OfflinePublisher() });
  await daemon.start();
  await daemon.run();
  await daemon.stop();
  return { decisions, vehicle, frames: decoder.stats };
}
