/* eslint-disable no-console -- the probe's result goes to stdout, where bench/can-receive.bench.ts reads it */
/**
 * Runs inside the VM: receives a live vcan interface one way, and measures its own CPU time
 * (user + system, all threads) over a window after a warm-up. Prints one JSON line.
 *
 *   persona          SocketCanSource (persona's addon: recvmmsg, a batch per wake-up) and the decoder
 *   package          the socketcan package's RawChannel, a JavaScript call and a frame per frame, as
 *                    persona received before, and the same decoder
 *   package-receive  the socketcan package's RawChannel, counting the frames: a process that only receives
 *   addon-receive    persona's addon, counting the frames of each batch
 *
 * Usage: node can-receive-probe.js <variant> <vehicle-dir> <iface> <warm-up s> <window s>
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CanFrame, FrameBatch } from '../src/can/can-frame.js';
import { openCanSocket } from '../src/can/can-socket.js';
import { kernelFilters, SocketCanSource } from '../src/can/socketcan-source.js';
import { frameBatchWindowMs } from '../src/signals/frame-batch-window.js';
import { SignalDecoder } from '../src/signals/signal-decoder.js';
import { loadVehicle } from '../src/signals/signal-map.js';

/** What the socketcan package's RawChannel hands over per frame, and the part of it used here. */
interface RawMessage {
  id: number;
  ext?: boolean;
  rtr?: boolean;
  err?: boolean;
  data: Buffer;
  ts_sec?: number;
  ts_usec?: number;
}
interface RawChannel {
  addListener(event: 'onMessage', callback: (message: RawMessage) => void): void;
  setRxFilters(filters: Array<{ id: number; mask: number }>): void;
  start(): void;
  stop(): void;
}

const [variant, vehicleDir, iface, warmupS, windowS] = process.argv.slice(2) as [string, string, string, string, string];
const vehicle = loadVehicle(vehicleDir);
const decoder = new SignalDecoder(vehicle);
const filters = [...new Set(vehicle.signals.map((s) => s.message))].map((m) => ({ id: m.id, extended: m.extended }));
const batchWindowMs = frameBatchWindowMs(vehicle);
let frames = 0;
/** Calls from native code into JavaScript that brought frames. */
let wakeUps = 0;
let stop: () => Promise<void>;

function packageChannel(): RawChannel {
  const socketcan = createRequire(import.meta.url)('socketcan') as { createRawChannel(name: string, timestamps: boolean): RawChannel };
  return socketcan.createRawChannel(iface, true);
}

switch (variant) {
  case 'persona': {
    const source = new SocketCanSource(iface, { filters, batchWindowMs });
    const sink = Object.assign((frame: CanFrame) => decoder.accept(frame), {
      batch(batch: FrameBatch): void {
        wakeUps++;
        frames += batch.length;
        for (const frame of batch) decoder.accept(frame);
      },
    });
    const running = source.start(sink);
    stop = async () => {
      await source.stop();
      await running;
    };
    break;
  }
  case 'package': {
    // The frame as persona's source made it from the package's message, before it read through its own addon.
    const channel = packageChannel();
    channel.setRxFilters(kernelFilters(filters));
    channel.addListener('onMessage', (m) => {
      wakeUps++;
      if (m.err) return;
      frames++;
      decoder.accept({ timeUs: m.ts_sec !== undefined ? m.ts_sec * 1e6 + (m.ts_usec ?? 0) : Date.now() * 1000, iface, id: m.id, extended: m.ext === true, fd: m.data.length > 8, remote: m.rtr === true, error: false, data: m.data });
    });
    channel.start();
    stop = () => Promise.resolve(channel.stop());
    break;
  }
  case 'package-receive': {
    const channel = packageChannel();
    channel.addListener('onMessage', () => {
      wakeUps++;
      frames++;
    });
    channel.start();
    stop = () => Promise.resolve(channel.stop());
    break;
  }
  case 'addon-receive': {
    const socket = openCanSocket(iface, null, batchWindowMs, (error, records) => {
      if (error) throw error;
      wakeUps++;
      frames += records!.length / 88;
    });
    stop = () => Promise.resolve(socket.close());
    break;
  }
  default:
    throw new Error(`unknown variant ${variant}`);
}

await sleep(Number(warmupS) * 1000);
const cpu0 = process.cpuUsage();
const frames0 = frames;
const wakeUps0 = wakeUps;
const t0 = performance.now();
await sleep(Number(windowS) * 1000);
const cpu = process.cpuUsage(cpu0);
const seconds = (performance.now() - t0) / 1000;
const result = { variant, seconds, cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100, systemPercent: (cpu.system / 1e6 / seconds) * 100, framesPerS: (frames - frames0) / seconds, wakeUpsPerS: (wakeUps - wakeUps0) / seconds, batchWindowMs };
await stop();
console.log(JSON.stringify(result));
process.exit(0);
