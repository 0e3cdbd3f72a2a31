/* eslint-disable no-console -- the probe's result goes to stdout, where the VM test reads it */
/**
 * Runs inside the VM, as root: receives a canplayer replay on vcan0 through SocketCanSource,
 * then takes the interface down and up again, and prints what it saw as one JSON line.
 * Usage: node socketcan-probe.js <vehicle-dir> <log-file> <iface>
 */
import { execFileSync, spawn } from 'node:child_process';
import { SocketCanSource } from '../../src/can/socketcan-source.js';
import { createLogger } from '../../src/common/logger.js';
import { SignalDecoder } from '../../src/signals/signal-decoder.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { DecodeDigest } from './decode-digest.js';

const [vehicleDir, logFile, iface] = process.argv.slice(2) as [string, string, string];
const vehicle = loadVehicle(vehicleDir);
const logs: string[] = [];
const filters = [...new Set(vehicle.signals.map((s) => s.message))].map((m) => ({ id: m.id, extended: m.extended }));
const source = new SocketCanSource(iface, { filters, logger: createLogger('persona:can', 'info', (l) => logs.push(l)), backoffMs: { initial: 50, max: 200 } });
const digest = new DecodeDigest(vehicle);
const live = new SignalDecoder(vehicle);
let phase: 'preroll' | 'replay' | 'between' | 'after' = 'preroll';
let prerollFrames = 0;
let afterFrames = 0;
let lastFrameAt = Date.now();
const running = source.start((frame) => {
  live.accept(frame);
  lastFrameAt = Date.now();
  if (phase === 'replay') digest.add(frame);
  else if (phase === 'preroll') prerollFrames++;
  else if (phase === 'after') afterFrames++;
});

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
const run = (command: string, args: string[]): Promise<number | null> =>
  new Promise((resolve) => spawn(command, args, { stdio: 'ignore' }).once('exit', (code) => resolve(code)));

// Frames start only once the socket is bound and node has warmed up: one frame at a time until one arrives.
const firstId = filters[0]!.id.toString(16).padStart(3, '0');
await until(() => {
  if (prerollFrames === 0) execFileSync('cansend', [iface, `${firstId}#0000000000000000`]);
  return prerollFrames > 0;
}, 10_000);
phase = 'replay';
const played = await run('canplayer', ['-I', logFile]);
// Frames still queued in the socket arrive after canplayer exits: wait for half a second of quiet.
await until(() => Date.now() - lastFrameAt > 500, 10_000);
phase = 'between';
const replay = { canplayerExit: played, ...digest.result(), values: digest.values() };

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
console.log(JSON.stringify({ prerollFrames, replay, staleAfterMs, stateWhileDown, freshAfterMs, afterFrames, stats: source.stats, logs }));
