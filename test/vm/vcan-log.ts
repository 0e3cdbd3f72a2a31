import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCandumpLine } from '../../src/can/candump-line.js';
import { encodeMessage } from '../../src/signals/message-codec.js';
import type { Vehicle } from '../../src/signals/signal-map.js';

/**
 * A candump log of `frames` frames of the vehicle's messages in turn at `rate` frames/s, every
 * value different, for canplayer on vcan0. Every frame is one the vehicle reads, so kernel
 * filters for its messages let all of them through. Returns the file's path.
 */
export function writeVcanLog(vehicle: Vehicle, dir: string, frames: number, rate: number): string {
  const messages = [...new Set(vehicle.signals.map((s) => s.message))];
  const lines: string[] = [];
  for (let i = 0; i < frames; i++) {
    const message = messages[i % messages.length]!;
    const v = i / frames;
    const values: Record<string, number> = { Speed: 120 * v, SpeedValid: 1, Gear: 1 + (i % 6), AccelVertical: 3 * Math.sin(i), AccelLongitudinal: -1 + 2 * v, SteeringAngle: 90 * Math.cos(i / 50), WheelSpeedFL: 100 * v, WheelSpeedFR: 100 * v + 1, WheelSpeedRL: 100 * v + 2, WheelSpeedRR: 100 * v + 3 };
    const own = Object.fromEntries(message.signals.filter((s) => s.name in values).map((s) => [s.name, values[s.name]!]));
    lines.push(formatCandumpLine({ timeUs: 1_767_258_000_000_000 + Math.round((i * 1e6) / rate), iface: 'vcan0', id: message.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(message, own) }));
  }
  const file = join(dir, `vcan-${rate}fps-${frames}.log`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
