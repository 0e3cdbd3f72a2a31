/**
 * The daemon as its own process, for the memory benchmark: the bundled drive replayed at the
 * given speed, looping, to a broker; every `sampleMs` it sends its RSS and V8 heap to the parent.
 * Usage (forked with an IPC channel): daemon-process.js <broker-url> <speed> <sample-ms>
 */
import { silentLogger } from '../src/common/logger.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import { benchConfig } from './pipeline-timing.js';

export interface MemorySample {
  /** Seconds since the daemon started. */
  s: number;
  rssMb: number;
  heapMb: number;
  /** Memory outside the V8 heap that V8 knows of: Buffers and other ArrayBuffers. */
  externalMb: number;
}

const [brokerUrl, speed, sampleMs] = [process.argv[2] ?? '', Number(process.argv[3] ?? 10), Number(process.argv[4] ?? 5000)];
const daemon = (await buildDaemon(benchConfig('simulated', speed), { logger: silentLogger }))({ brokerUrl });
const started = performance.now();
const timer = setInterval(() => {
  const { rss, heapUsed, external } = process.memoryUsage();
  const sample: MemorySample = { s: (performance.now() - started) / 1000, rssMb: rss / 2 ** 20, heapMb: heapUsed / 2 ** 20, externalMb: external / 2 ** 20 };
  process.send?.(sample);
}, sampleMs);
process.once('disconnect', () => {
  clearInterval(timer);
  void daemon.stop();
});
await daemon.start();
await daemon.run();
