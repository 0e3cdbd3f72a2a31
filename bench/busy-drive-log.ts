import { readFileSync, writeFileSync } from 'node:fs';
import { formatCandumpLine, parseCandumpLine } from '../src/can/candump-line.js';
import { mulberry32 } from '../src/common/prng.js';

/**
 * Traffic of a busy bus that the demo vehicle does not read, by cycle time: with the bundled
 * drive's 160 frames/s, 2,000 frames/s, as on a powertrain or chassis bus of a real car.
 */
const OTHER_MESSAGES: ReadonlyArray<{ count: number; cycleMs: number }> = [
  { count: 8, cycleMs: 10 },
  { count: 20, cycleMs: 20 },
  { count: 4, cycleMs: 100 },
];
/** Standard ids of the other messages, from here up: the demo DBC uses none of them. */
const FIRST_OTHER_ID = 0x300;
const SEED = 2000;

export interface BusyDriveLog {
  readonly frames: number;
  readonly seconds: number;
  readonly framesPerS: number;
}

/**
 * Writes the bundled drive (`drivePath`) with the other messages of a busy bus interleaved
 * at their own cycle times, in time order, to `outPath`: a log whose own rate is 2,000
 * frames/s, to replay in real time. The drive's frames are unchanged, so the daemon decides
 * as on the drive alone; the others carry random payloads and are only read and ignored.
 */
export function writeBusyDriveLog(drivePath: string, outPath: string): BusyDriveLog {
  const drive = readFileSync(drivePath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ({ line, timeUs: parseCandumpLine(line).timeUs }));
  const startUs = drive[0]!.timeUs;
  const endUs = drive.at(-1)!.timeUs;
  const random = mulberry32(SEED);
  const entries = [...drive];
  let id = FIRST_OTHER_ID;
  for (const { count, cycleMs } of OTHER_MESSAGES) {
    for (let i = 0; i < count; i++, id++) {
      // Staggered, so that messages of one cycle time do not share timestamps.
      for (let timeUs = startUs + ((id * 370) % (cycleMs * 1000)); timeUs <= endUs; timeUs += cycleMs * 1000) {
        const data = Uint8Array.from({ length: 8 }, () => Math.floor(random() * 256));
        entries.push({ line: formatCandumpLine({ timeUs, iface: 'vcan0', id, extended: false, fd: false, remote: false, error: false, data }), timeUs });
      }
    }
  }
  entries.sort((a, b) => a.timeUs - b.timeUs);
  writeFileSync(outPath, entries.map((e) => e.line).join('\n') + '\n');
  const seconds = (endUs - startUs) / 1e6;
  return { frames: entries.length, seconds, framesPerS: entries.length / seconds };
}
