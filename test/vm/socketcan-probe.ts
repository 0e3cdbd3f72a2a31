/* eslint-disable no-console -- the probe's result goes to stdout, where the VM test reads it */
/**
 * Runs inside the VM, as root: receives a canplayer replay on vcan0 through SocketCanSource
 * (persona's addon: recvmmsg, kernel timestamps, a batch per wake-up), sends it error frames
 * and a bus-off, takes the interface down and up again, and prints what it saw as one JSON line.
 * Usage: node socketcan-probe.js <vehicle-dir> <log-file> <iface>
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { CanFrame, FrameBatch } from '../../src/can/can-frame.js';
import { openCanSocket } from '../../src/can/can-socket.js';
import { SocketCanSource } from '../../src/can/socketcan-source.js';
import { createLogger } from '../../src/common/logger.js';
import { SignalDecoder } from '../../src/signals/signal-decoder.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { DecodeDigest } from './decode-digest.js';

const [vehicleDir, logFile, iface] = process.argv.slice(2) as [string, string, string];
const vehicle = loadVehicle(vehicleDir);
const logs: string[] = [];
const openFds = (): number => readdirSync('/proc/self/fd').length;
const run = (command: string, args: string[]): Promise<number | null> =>
  new Promise((resolve) => spawn(command, args, { stdio: 'ignore' }).once('exit', (code) => resolve(code)));
// The first child process opens libuv's own descriptors for SIGCHLD: count after them.
await run('true', []);
execFileSync('true');
const fdsBefore = openFds();

/** An interface that does not exist: the addon's error must name it. */
let badInterface = '';
try {
  openCanSocket('nocan0', null, 5, () => undefined).close();
} catch (err) {
  const e = err as Error & { code?: string };
  badInterface = `${e.code}: ${e.message}`;
}

const filters = [...new Set(vehicle.signals.map((s) => s.message))].map((m) => ({ id: m.id, extended: m.extended }));
const source = new SocketCanSource(iface, { filters, logger: createLogger('persona:can', 'info', (l) => logs.push(l)), backoffMs: { initial: 50, max: 200 } });
const digest = new DecodeDigest(vehicle);
const live = new SignalDecoder(vehicle);
let phase: 'preroll' | 'replay' | 'between' | 'after' = 'preroll';
let prerollFrames = 0;
let afterFrames = 0;
let lastFrameAt = Date.now();
/** The replay's frames: how many wake-ups brought them, and their kernel times against the wall clock. */
const timing = { batches: 0, frames: 0, firstUs: 0, lastUs: 0, backwards: 0, laterThanDelivery: 0, batchesWithOneTime: 0, gapsUs: [] as number[] };

function accept(frame: CanFrame): void {
  live.accept(frame);
  if (phase === 'replay') {
    digest.add(frame);
    if (timing.frames > 0) {
      if (frame.timeUs < timing.lastUs) timing.backwards++;
      timing.gapsUs.push(frame.timeUs - timing.lastUs);
    } else timing.firstUs = frame.timeUs;
    timing.lastUs = frame.timeUs;
    timing.frames++;
  } else if (phase === 'preroll') prerollFrames++;
  else if (phase === 'after') afterFrames++;
}
const sink = Object.assign((frame: CanFrame) => accept(frame), {
  batch(frames: FrameBatch): void {
    const deliveredUs = Date.now() * 1000;
    lastFrameAt = Date.now();
    if (phase === 'replay') {
      timing.batches++;
      if (frames.length > 1 && frames[0]!.timeUs === frames.at(-1)!.timeUs) timing.batchesWithOneTime++;
    }
    for (const frame of frames) {
      // A kernel timestamp is taken when the frame arrives, before the batch is handed over.
      if (phase === 'replay' && frame.timeUs > deliveredUs + 1000) timing.laterThanDelivery++;
      accept(frame);
    }
    // Under the emulator a batch can take longer than the quiet the replay's end waits for.
    lastFrameAt = Date.now();
  },
});
const running = source.start(sink);

const nowUs = (): number => Date.now() * 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(test: () => boolean, timeoutMs: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (test()) return Date.now() - start;
    await sleep(5);
  }
  return undefined;
}
const firstId = filters[0]!.id.toString(16).padStart(3, '0');
const sendOne = (): void => {
  execFileSync('cansend', [iface, `${firstId}#0000000000000000`]);
};

// Frames start only once the socket is bound and node has warmed up: one frame at a time until one arrives.
await until(() => {
  if (prerollFrames === 0) sendOne();
  return prerollFrames > 0;
}, 10_000);
phase = 'replay';
const wallStartUs = nowUs();
const played = await run('canplayer', ['-I', logFile]);
const wallEndUs = nowUs();
// Frames still queued in the socket arrive after canplayer exits: wait for half a second of quiet.
await until(() => Date.now() - lastFrameAt > 500, 10_000);
phase = 'between';
const sortedGaps = timing.gapsUs.sort((a, b) => a - b);
const replay = {
  canplayerExit: played,
  ...digest.result(),
  values: digest.values(),
  batches: timing.batches,
  backwards: timing.backwards,
  laterThanDelivery: timing.laterThanDelivery,
  batchesWithOneTime: timing.batchesWithOneTime,
  /** The kernel's times lie within the wall-clock span of the replay (they are not the log's). */
  withinWallClock: timing.firstUs >= wallStartUs - 1000 && timing.lastUs <= wallEndUs + 5000,
  spanUs: timing.lastUs - timing.firstUs,
  medianGapUs: sortedGaps[Math.floor(sortedGaps.length / 2)] ?? 0,
};

// An error frame of the controller (class 0x004, lost arbitration... any class but bus-off) is
// counted; a bus-off closes the socket, and frames afterwards reopen it. Sent as 29-bit ids with
// CAN_ERR_FLAG (0x20000000): vcan hands them to every socket whose error mask takes them.
execFileSync('cansend', [iface, '20000004#0000000000000000']);
execFileSync('cansend', [iface, '20000040#0000000000000000']);
await until(() => source.state === 'down', 2000);
const stateAfterBusOff = source.state;
const reopenedAfterBusOffMs = await until(() => {
  sendOne();
  return source.state === 'open';
}, 5000);

execFileSync('ip', ['link', 'set', iface, 'down']);
const staleAfterMs = await until(() => live.read('Vehicle.Speed', nowUs()) === undefined, 2000);
await until(() => source.state === 'down', 2000);
const stateWhileDown = source.state;
execFileSync('ip', ['link', 'set', iface, 'up']);
phase = 'after';
const resumed = run('canplayer', ['-I', logFile]);
// No bound is claimed here, only that it comes back: a guest starved by a busy host can take seconds to start canplayer.
const freshAfterMs = await until(() => afterFrames > 0 && live.read('Vehicle.Speed', nowUs()) !== undefined, 30_000);
await resumed;
await source.stop();
await running;
const fdsAfter = openFds();
console.log(JSON.stringify({ badInterface, prerollFrames, replay, stateAfterBusOff, reopenedAfterBusOffMs, staleAfterMs, stateWhileDown, freshAfterMs, afterFrames, stats: source.stats, fdsBefore, fdsAfter, logs }));
