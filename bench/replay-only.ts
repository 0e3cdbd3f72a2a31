/**
 * The floor of the CPU-share benchmark: a Node process that reads the same replay at the same
 * pace and does nothing with the frames. Prints how many frames it passed on when it stops.
 * Usage: replay-only.js <candump log> <speed>
 */
import { ReplaySource } from '../src/can/replay-source.js';

const source = new ReplaySource(process.argv[2] ?? '', { speed: Number(process.argv[3] ?? 1), loop: true });
process.once('SIGTERM', () => void source.stop());
let frames = 0;
await source.start(() => {
  frames++;
});
process.stdout.write(`${frames}\n`);
