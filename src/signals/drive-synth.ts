import { formatCandumpLine } from '../can/candump-line.js';
import { mulberry32 } from '../common/prng.js';
import { compileDocumentSchema } from '../common/schema.js';
import type { DbcMessage } from './dbc-model.js';
import { encodeMessage } from './message-codec.js';
import type { MappedSignal, Vehicle } from './signal-map.js';
import schema from './drive-profile.schema.json' with { type: 'json' };

export interface DriveSegment {
  label: string;
  seconds: number;
  speedKmh: [number, number];
  /** A VSS gear (126 = park) or `auto` to pick a forward gear from the speed. */
  gear: number | 'auto';
  roughness: number;
  steeringDeg: number;
  slip?: number;
}

export interface DriveProfile {
  seed: number;
  startTime: number;
  iface: string;
  fixed?: Record<string, number>;
  segments: DriveSegment[];
}

export const parseDriveProfile = compileDocumentSchema<DriveProfile>(schema);

/** Upper speed bound of each forward gear, km/h. */
const GEAR_BANDS = [15, 30, 50, 70, 90];

interface VehicleState {
  speedKmh: number;
  gear: number;
  accelLongitudinal: number;
  segment: DriveSegment;
}

function stateAt(profile: DriveProfile, tS: number): VehicleState {
  let start = 0;
  for (const segment of profile.segments) {
    if (tS < start + segment.seconds || segment === profile.segments.at(-1)) {
      const f = Math.min(1, (tS - start) / segment.seconds);
      const [from, to] = segment.speedKmh;
      const speedKmh = from + (to - from) * f;
      const moving = speedKmh > 0.5 || to > 0;
      const gear = segment.gear !== 'auto' ? segment.gear : moving ? 1 + GEAR_BANDS.filter((b) => speedKmh >= b).length : 1;
      return { speedKmh, gear, accelLongitudinal: (to - from) / 3.6 / segment.seconds, segment };
    }
    start += segment.seconds;
  }
  throw new RangeError('profile has no segments');
}

/** Physical VSS values of the drive at `tS`, with noise from `random`. */
function vssAt(profile: DriveProfile, tS: number, random: () => number): Record<string, number> {
  const s = stateAt(profile, tS);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const moving = s.speedKmh > 0;
  const speed = moving ? Math.max(0, s.speedKmh + 0.3 * gauss()) : 0;
  const wheel = (): number => (moving ? Math.max(0, speed * (1 + (s.segment.slip ?? 0.005) * gauss())) : 0);
  return {
    'Vehicle.Speed': speed,
    'Vehicle.Powertrain.Transmission.CurrentGear': s.gear,
    'Vehicle.Acceleration.Vertical': s.segment.roughness * gauss(),
    'Vehicle.Acceleration.Longitudinal': s.accelLongitudinal + 0.05 * gauss(),
    'Vehicle.Chassis.SteeringWheel.Angle': s.segment.steeringDeg * Math.sin((2 * Math.PI * tS) / 7) + gauss(),
    'Vehicle.Chassis.Axle.Row1.Wheel.Left.Speed': wheel(),
    'Vehicle.Chassis.Axle.Row1.Wheel.Right.Speed': wheel(),
    'Vehicle.Chassis.Axle.Row2.Wheel.Left.Speed': wheel(),
    'Vehicle.Chassis.Axle.Row2.Wheel.Right.Speed': wheel(),
  };
}

/**
 * Encodes a drive profile through the vehicle's own DBC into a `candump -L` log: every
 * message the vehicle map uses, at its GenMsgCycleTime, in time order.
 */
export function synthesizeDrive(vehicle: Vehicle, profile: DriveProfile): string {
  const random = mulberry32(profile.seed);
  const totalUs = Math.round(profile.segments.reduce((sum, s) => sum + s.seconds, 0) * 1e6);
  const messages = [...new Set(vehicle.signals.map((s) => s.message))];
  const events: Array<{ timeUs: number; message: DbcMessage }> = [];
  messages.forEach((message, index) => {
    const cycleUs = (message.cycleTimeMs ?? 100) * 1000;
    // Staggered so that messages of the same period do not share timestamps.
    for (let t = index * 370; t < totalUs; t += cycleUs) events.push({ timeUs: t, message });
  });
  events.sort((a, b) => a.timeUs - b.timeUs);
  const lines: string[] = [];
  for (const { timeUs, message } of events) {
    const vss = vssAt(profile, timeUs / 1e6, random);
    const values: Record<string, number> = {};
    for (const signal of message.signals) {
      const fixed = profile.fixed?.[signal.name];
      if (fixed !== undefined) values[signal.name] = fixed;
    }
    for (const mapped of vehicle.signals) {
      const value = vss[mapped.vss];
      if (mapped.message === message && value !== undefined) Object.assign(values, dbcValues(mapped, value));
    }
    const data = encodeMessage(message, values);
    lines.push(formatCandumpLine({ timeUs: profile.startTime * 1e6 + timeUs, iface: profile.iface, id: message.id, extended: message.extended, fd: message.fd, remote: false, error: false, data }));
  }
  return lines.join('\n') + '\n';
}

/** What the DBC signals carry for a VSS value: the inverse of the map (an enumeration's first code for it, a separate sign bit). */
function dbcValues(mapped: MappedSignal, value: number): Record<string, number> {
  if (mapped.values) {
    const code = [...mapped.values].find(([, v]) => v === value)?.[0];
    return code === undefined ? {} : { [mapped.signal.name]: code };
  }
  if (!mapped.sign) return { [mapped.signal.name]: (value - mapped.offset) / mapped.factor };
  const negative = value < 0;
  const positiveWhen = mapped.sign.negativeWhen === 0 ? 1 : 0;
  return { [mapped.signal.name]: (Math.abs(value) - mapped.offset) / mapped.factor, [mapped.sign.signal.name]: negative ? mapped.sign.negativeWhen : positiveWhen };
}
