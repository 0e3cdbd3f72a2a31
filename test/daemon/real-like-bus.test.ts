import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameSink, FrameSource } from '../../src/can/can-frame.js';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import type { DrivingContextName } from '../../src/context/context-names.js';
import type { ContextChange } from '../../src/context/context-tracker.js';
import type { DrivingFeatures } from '../../src/context/driving-features.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig } from '../../src/daemon/config.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { OfflinePublisher } from '../../src/daemon/simulation.js';
import type { SignalSnapshot } from '../../src/signals/signal-decoder.js';
import { MESSAGES, realLikeBus, SPEED, STEERING, steeringWheelDeg, VERTICAL, writeVehicleFolder, type RealLikeBus, type RealLikeFrame } from '../helpers/real-like-bus.js';

/**
 * The real daemon over a bus shaped like a real car's (see test/helpers/real-like-bus.ts):
 * no cycle times in the DBC, a 1 Hz gear, jitter, event-driven messages, short frames, a
 * multiplexed speed, messages that stop, tight turns and real off-road. The expected
 * context of each phase must hold once the phase has settled, with one change per real
 * transition.
 */

/** What the daemon had decoded, read every PROBE_MS of CAN time. */
interface Probe {
  timeMs: number;
  signals: SignalSnapshot;
  features: DrivingFeatures | null;
}

interface Drive {
  bus: RealLikeBus;
  changes: ContextChange[];
  probes: Probe[];
}

const PROBE_MS = 250;

/** Plays the bus's frames on a simulated clock, stamped like a live interface, and probes the daemon as it goes. */
class BusSource implements FrameSource {
  readonly description = 'real-like bus';
  readonly timeScale = 1;
  private stopped = false;

  constructor(
    private readonly frames: readonly RealLikeFrame[],
    private readonly startUs: number,
    private readonly clock: SimulatedClock,
    private readonly probe: (timeUs: number) => void,
  ) {}

  nowUs(): number {
    return this.startUs + Math.round(this.clock.now() * 1000);
  }

  async start(sink: FrameSink): Promise<void> {
    let nextProbeUs = this.startUs + PROBE_MS * 1000;
    for (const frame of this.frames) {
      if (this.stopped) return;
      await this.clock.sleepUntil((frame.timeUs - this.startUs) / 1000);
      sink(frame);
      if (frame.timeUs >= nextProbeUs) {
        this.probe(frame.timeUs);
        nextProbeUs += PROBE_MS * 1000;
      }
    }
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

/** Runs the real daemon (decoder, features, statechart, policy, simulated backend) over the whole drive. */
async function drive(bus: RealLikeBus, dir: string): Promise<Drive> {
  writeVehicleFolder(dir, bus, { log: false });
  mkdirSync(join(dir, 'state'), { recursive: true });
  const clock = new SimulatedClock();
  const config = loadConfig({ cwd: packageRoot(), overrides: { vehicle: dir, workloadIntervalMs: 0, backend: 'simulated', manifestState: join(dir, 'state', 'manifest-state.json') } });
  const changes: ContextChange[] = [];
  const probes: Probe[] = [];
  const source = new BusSource(bus.frames, bus.startUs, clock, (timeUs) => {
    // Called only while the daemon runs, after it was built below.
    const sample = daemon.latestSample();
    if (sample.features) probes.push({ timeMs: timeUs / 1000, signals: sample.signals, features: sample.features });
  });
  const daemon: Daemon = (await buildDaemon(config, { logger: silentLogger, clock, source, observer: { contextChanged: (c) => c.region === 'driving' && changes.push(c) } }))({ publisher: new OfflinePublisher() });
  await daemon.start();
  await daemon.run();
  await daemon.stop();
  return { bus, changes, probes };
}

/** Seconds into the drive, for messages. */
const s = (bus: RealLikeBus, timeMs: number): string => `${((timeMs - bus.startUs / 1000) / 1000).toFixed(1)} s`;

function contextAt(d: Drive, timeMs: number): DrivingContextName {
  let context: DrivingContextName = 'unknown';
  for (const c of d.changes) if (c.timeMs <= timeMs) context = c.to as DrivingContextName;
  return context;
}

const changesIn = (d: Drive, fromMs: number, toMs: number): ContextChange[] => d.changes.filter((c) => c.timeMs > fromMs && c.timeMs <= toMs);
const describe = (d: Drive, changes: readonly ContextChange[]): string[] => changes.map((c) => `${s(d.bus, c.timeMs)} ${c.from} → ${c.to}`);

/** Phases whose expected context differs from the one before (the drive starts unknown): the real transitions. */
function transitions(bus: RealLikeBus): RealLikeBus['phases'] {
  return bus.phases.filter((p, i) => p.expected !== (i === 0 ? 'unknown' : bus.phases[i - 1]!.expected));
}


function checkDrive(t: Test, d: Drive): void {
  const { bus } = d;
  t.comment(`seed ${bus.seed}: ${d.changes.length} context changes: ${describe(d, d.changes).slice(0, 40).join('; ')}${d.changes.length > 40 ? '; …' : ''}`);

  void t.test('each phase settles into its expected context and stays in it', async (t) => {
    for (const phase of bus.phases) {
      const settled = phase.startMs + phase.settleMs;
      t.equal(contextAt(d, settled), phase.expected, `${phase.name} (${s(bus, phase.startMs)}–${s(bus, phase.endMs)}): ${phase.expected} by ${s(bus, settled)}`);
      t.same(describe(d, changesIn(d, settled, phase.endMs)), [], `${phase.name}: no change once settled`);
    }
  });

  void t.test('at most one context change per real transition', async (t) => {
    const real = transitions(bus);
    // No allowance at the start either: out of unknown, city waits for the 1 Hz gear (isSettled), so parked comes first.
    t.ok(d.changes.length <= real.length, `${d.changes.length} changes for ${real.length} transitions`);
    for (const phase of real) {
      const inWindow = changesIn(d, phase.startMs - 1, phase.startMs + phase.settleMs);
      t.equal(inWindow.length, 1, `into ${phase.name}: ${describe(d, inWindow).join(', ')}`);
      t.equal(inWindow.at(-1)?.to, phase.expected, `into ${phase.name}: ends in ${phase.expected}`);
    }
    const windows = real.map((p) => [p.startMs - 1, p.startMs + p.settleMs] as const);
    const stray = d.changes.filter((c) => !windows.some(([from, to]) => c.timeMs > from && c.timeMs <= to));
    t.same(describe(d, stray), [], 'no change outside the transitions');
  });

  void t.test('stale gear, and speed gaps shorter than the grace, never make the context unknown', async (t) => {
    const lost = bus.phases.find((p) => p.name === 'speed-lost')!;
    const unknown = d.changes.filter((c) => c.to === 'unknown' && !(c.timeMs > lost.startMs && c.timeMs <= lost.endMs));
    t.same(describe(d, unknown), [], `unknown only while the speed is lost (${s(bus, lost.startMs)}–${s(bus, lost.endMs)})`);
  });

  void t.test('a 2 s stop of an optional message changes nothing', async (t) => {
    for (const gap of bus.gaps.filter((g) => g.kind === 'optional-vertical' || g.kind === 'optional-gear')) {
      t.same(describe(d, changesIn(d, gap.startMs - 1000, gap.endMs + 3000)), [], `${gap.message} silent ${s(bus, gap.startMs)}–${s(bus, gap.endMs)}`);
    }
  });

  void t.test('a speed gap shorter than the grace changes nothing; a 3.5 s one gives unknown, then the context again', async (t) => {
    const short = bus.gaps.find((g) => g.kind === 'speed-short')!;
    t.same(describe(d, changesIn(d, short.startMs - 1000, short.endMs + 3000)), [], `speed silent ${short.endMs - short.startMs} ms at ${s(bus, short.startMs)}`);
    const long = bus.gaps.find((g) => g.kind === 'speed-long')!;
    const around = changesIn(d, long.startMs, long.endMs + 3000);
    t.same(
      around.map((c) => c.to),
      ['unknown', 'city'],
      `speed silent ${s(bus, long.startMs)}–${s(bus, long.endMs)}: ${describe(d, around).join(', ')}`,
    );
    t.ok(around[0] && around[0].timeMs - long.startMs <= 2000, 'unknown within 2 s of the last speed frame');
    t.ok(around[1] && around[1].timeMs - long.endMs <= 3000, 'the context is back within 3 s of the first speed frame');
  });

  void t.test('tight turns in the car park stay city: turning is not wheel slip', async (t) => {
    for (const turn of bus.turns) {
      const during = changesIn(d, turn.startMs - 1000, turn.endMs + 6000);
      t.same(describe(d, during), [], `${turn.direction} R ${turn.radiusM.toFixed(1)} m at ${turn.speedKmh.toFixed(0)} km/h, wheels spread ${(turn.spread * 100).toFixed(0)} %`);
      t.equal(contextAt(d, turn.endMs), 'city');
    }
  });

  void t.test('real off-road is detected', async (t) => {
    const offroad = bus.phases.find((p) => p.name === 'offroad')!;
    const entered = d.changes.find((c) => c.to === 'offroad');
    t.ok(entered, 'offroad entered');
    t.ok(entered && entered.timeMs >= offroad.startMs && entered.timeMs <= offroad.startMs + offroad.settleMs, `offroad at ${entered ? s(bus, entered.timeMs) : '-'}, the rough stretch starts at ${s(bus, offroad.startMs)}`);
    t.equal(d.changes.filter((c) => c.to === 'offroad').length, 1, 'once');
  });

  void t.test('the steering angle reads positive to the left, from the magnitude and its sign bit', async (t) => {
    for (const turn of bus.turns) {
      const during = d.probes.filter((p) => p.timeMs >= turn.startMs + 500 && p.timeMs <= turn.endMs);
      const readings = during.map((p) => p.signals[STEERING]?.value);
      const expected = steeringWheelDeg(bus.truthAt(turn.startMs + 500).curvature);
      t.ok(during.length >= 3, `${during.length} probes in the ${turn.direction} turn`);
      t.ok(
        readings.every((v) => v !== undefined && Math.abs(v - expected) < 2),
        `${turn.direction} turn R ${turn.radiusM.toFixed(1)} m: about ${expected.toFixed(0)}° (read ${readings.slice(0, 3).map((v) => v?.toFixed(1) ?? 'none').join(', ')} …)`,
      );
    }
  });

  void t.test('vertical acceleration reads in m/s² (g × 9.80665), decoded from 6-byte frames of an 8-byte message', async (t) => {
    const imu = bus.frames.filter((f) => f.message === MESSAGES.vertical);
    const gap = bus.gaps.find((g) => g.kind === 'optional-vertical')!;
    const probes = d.probes.filter((p) => p.features !== null && !(p.timeMs >= gap.startMs && p.timeMs <= gap.endMs + 500));
    const read = probes.filter((p) => p.signals[VERTICAL]);
    t.ok(read.length >= 0.95 * probes.length, `read in ${read.length} of ${probes.length} probes`);
    const wrong = read.filter((p) => {
      const intended = latestIntended(imu, VERTICAL, p.features!.timeMs);
      return !intended.some((v) => Math.abs(p.signals[VERTICAL]!.value - v) <= (0.005 * 9.80665) / 2 + 1e-9);
    });
    t.equal(wrong.length, 0, `each value is the latest frame's g × 9.80665 (${wrong.slice(0, 3).map((p) => `${s(bus, p.timeMs)}: ${p.signals[VERTICAL]!.value.toFixed(3)}`).join(', ')})`);
  });

  void t.test('speed reads in km/h', async (t) => {
    const carriers = bus.frames.filter((f) => f.intended?.[SPEED] !== undefined && f.message === (bus.signalMap.signals[SPEED]!.message as string));
    const read = d.probes.filter((p) => p.features !== null && p.signals[SPEED]);
    t.ok(read.length > 0.9 * d.probes.length, `read in ${read.length} of ${d.probes.length} probes`);
    const wrong = read.filter((p) => {
      const intended = latestIntended(carriers, SPEED, p.features!.timeMs);
      return !intended.some((v) => Math.abs(p.signals[SPEED]!.value - v) <= 0.01);
    });
    t.equal(wrong.length, 0, `each value is the latest ${carriers[0]?.message} frame's speed in km/h (${wrong.slice(0, 3).map((p) => `${s(bus, p.timeMs)}: ${p.signals[SPEED]!.value.toFixed(2)}`).join(', ')})`);
  });
}

/**
 * What the latest frame before a sample meant: a frame stamped with the sample's very
 * microsecond may have come just before or just after the frame that triggered it, so both
 * the latest frame at and the one before are candidates.
 */
function latestIntended(frames: readonly RealLikeFrame[], vss: string, sampleMs: number): number[] {
  const timeUs = Math.round(sampleMs * 1000);
  return [latestAtOrBefore(frames, timeUs), latestAtOrBefore(frames, timeUs - 1)].map((f) => f?.intended?.[vss]).filter((v): v is number => v !== undefined);
}

function latestAtOrBefore(frames: readonly RealLikeFrame[], timeUs: number): RealLikeFrame | undefined {
  let lo = 0;
  let hi = frames.length - 1;
  if (hi < 0 || frames[0]!.timeUs > timeUs) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid]!.timeUs <= timeUs) lo = mid;
    else hi = mid - 1;
  }
  return frames[lo];
}

for (const seed of [1, 2, 3]) {
  void t.test(`seed ${seed}: speed from ESP_21 (Unit_KiloMeterPerHour)`, async (t) => {
    const d = await drive(realLikeBus(seed), t.testdir());
    checkDrive(t, d);
  });
}

void t.test('seed 4: speed from the multiplexed ESP_Mux_Info (mph, one frame in four)', async (t) => {
  const d = await drive(realLikeBus(4, { speedFrom: 'multiplexed' }), t.testdir());
  checkDrive(t, d);
});
