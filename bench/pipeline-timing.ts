import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CanFrame, FrameSink, FrameSource } from '../src/can/can-frame.js';
import { ReplaySource } from '../src/can/replay-source.js';
import { silentLogger } from '../src/common/logger.js';
import { packageRoot } from '../src/common/package-root.js';
import { FeatureExtractor } from '../src/context/driving-features.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import { loadConfig } from '../src/daemon/config.js';
import { iso } from '../src/daemon/payloads.js';
import { OfflinePublisher } from '../src/daemon/simulation.js';
import { loadVehicle } from '../src/signals/signal-map.js';
import { SignalDecoder } from '../src/signals/signal-decoder.js';
import type { DriveTrace } from './drive-trace.js';

export const DRIVE_LOG = 'vehicles/demo/drive.log';

export interface PipelineOptions {
  backend: 'simulated' | 'kmod';
  /** Replay speed × real time: the frames arrive paced, as from a bus, with gaps the applies run in. */
  speed: number;
  /** Passes through the drive; the first one is also traced for the plot. */
  passes: number;
  /**
   * The first passes, not timed (none unless told): a new daemon's first decisions and the first
   * runs of its code through the JIT are not what it does warm.
   */
  warmUpPasses?: number;
  /** The broker to publish to; without one, the daemon publishes nowhere (what MQTT costs, by difference). */
  brokerUrl?: string;
  /** The daemon's login on a broker that wants one. */
  login?: { username: string; password: string };
  onPass?: (pass: number, decisions: number, switches: number) => void;
}

export interface PipelineTiming {
  /** From a frame reaching the daemon to the decision it caused being recorded (µs). */
  readonly frameToDecisionUs: number[];
  /** From that decision to the switch applied: the backend has returned and the values are read back (µs). */
  readonly decisionToAppliedUs: number[];
  /** Both together, per switch (µs). */
  readonly frameToAppliedUs: number[];
  readonly frames: number;
  readonly trace: DriveTrace;
}

/** How often the trace samples the vehicle's speed, in CAN time. */
const TRACE_STEP_MS = 250;

/**
 * Hands the replay's frames to the daemon and notes when each arrives; stops after `passes`.
 * The trace decodes the first pass a second time with the daemon's own decoder and feature
 * extractor, for the speed curve of the plot.
 */
class TimedReplay implements FrameSource {
  readonly description: string;
  readonly timeScale: number;
  /** performance.now() when the frame being handled arrived; undefined between frames. */
  frameArrivedMs: number | undefined;
  frames = 0;
  private readonly decoder: SignalDecoder;
  private readonly features = new FeatureExtractor();
  private nextTraceUs: number | undefined;
  firstUs: number | undefined;

  constructor(
    private readonly replay: ReplaySource,
    private readonly passes: number,
    private readonly trace: DriveTrace,
    vehicleDir: string,
  ) {
    this.description = replay.description;
    this.timeScale = replay.timeScale;
    this.decoder = new SignalDecoder(loadVehicle(vehicleDir));
  }

  get pass(): number {
    return this.replay.stats.passes;
  }

  start(sink: FrameSink): Promise<void> {
    return this.replay.start((frame: CanFrame) => {
      if (this.replay.stats.passes >= this.passes) {
        void this.replay.stop();
        return;
      }
      this.frames++;
      this.frameArrivedMs = performance.now();
      sink(frame);
      this.frameArrivedMs = undefined;
      if (this.replay.stats.passes === 0) this.traceSpeed(frame);
    });
  }

  stop(): Promise<void> {
    return this.replay.stop();
  }

  private traceSpeed(frame: CanFrame): void {
    this.firstUs ??= frame.timeUs;
    this.decoder.accept(frame);
    this.nextTraceUs ??= frame.timeUs;
    if (frame.timeUs < this.nextTraceUs) return;
    this.nextTraceUs += TRACE_STEP_MS * 1000;
    const features = this.features.update(this.decoder.snapshot(frame.timeUs), frame.timeUs / 1000);
    this.trace.speed.push({ s: (frame.timeUs - this.firstUs) / 1e6, kmh: features.speedKmh });
  }
}

/** A configuration for the benchmarks: the bundled vehicle and manifests, state in a scratch folder (the checkout may be read-only). */
export function benchConfig(backend: 'simulated' | 'kmod', speed: number) {
  const state = mkdtempSync(join(tmpdir(), 'persona-bench-state-'));
  return loadConfig({
    cwd: packageRoot(),
    overrides: { ecuId: 'bench', backend, speed, loop: true, workloadIntervalMs: 0, manifestState: join(state, 'manifest-state.json'), holdState: join(state, 'holds.json'), can: `replay:${DRIVE_LOG}` },
  });
}

/**
 * Replays the bundled drive through the whole daemon (real broker, the given backend) and
 * times, for every recorded decision a frame caused after the warm-up passes, frame → decision,
 * and for every switch decision → applied and read back (the observer's `switched` comes once
 * the backend has returned and the driver's values were read back).
 */
export async function timePipeline(options: PipelineOptions): Promise<PipelineTiming> {
  const config = benchConfig(options.backend, options.speed);
  const trace: DriveTrace = { speed: [], contexts: [], switches: [], endS: 0 };
  const replay = new ReplaySource(join(packageRoot(), DRIVE_LOG), { speed: options.speed, loop: true });
  const source = new TimedReplay(replay, options.passes, trace, config.vehicle);
  const frameToDecisionUs: number[] = [];
  const decisionToAppliedUs: number[] = [];
  const frameToAppliedUs: number[] = [];
  /** Decisions a frame caused, by their CAN time (a switch's too), until their switch is applied. */
  const decided = new Map<string, { frameMs: number; decidedMs: number }>();
  const sinceStart = (timeMs: number): number => (timeMs * 1000 - (source.firstUs ?? timeMs * 1000)) / 1e6;
  const warmUpPasses = options.warmUpPasses ?? 0;
  let lastPass = 0;
  const daemon = (await buildDaemon(config, {
    logger: silentLogger,
    source,
    observer: {
      decided: (record) => {
        const now = performance.now();
        const frameMs = source.frameArrivedMs;
        if (frameMs === undefined) return; // decided on a timer, not by a frame
        if (source.pass < warmUpPasses) return;
        frameToDecisionUs.push((now - frameMs) * 1000);
        decided.set(record.canTime, { frameMs, decidedMs: now });
      },
      switched: (record) => {
        const now = performance.now();
        const cause = decided.get(iso(record.timeMs));
        decided.delete(iso(record.timeMs));
        if (cause) {
          decisionToAppliedUs.push((now - cause.decidedMs) * 1000);
          frameToAppliedUs.push((now - cause.frameMs) * 1000);
        }
        if (source.pass === 0) trace.switches.push({ s: sinceStart(record.timeMs), personality: record.to, trigger: record.trigger });
        if (source.pass !== lastPass) {
          lastPass = source.pass;
          options.onPass?.(lastPass, frameToDecisionUs.length, decisionToAppliedUs.length);
        }
      },
      contextChanged: (change) => {
        if (source.pass === 0 && change.region === 'driving') trace.contexts.push({ s: sinceStart(change.timeMs), from: change.from, to: change.to });
      },
    },
    ...(options.login ? { connection: { username: options.login.username, password: options.login.password } } : {}),
  }))(options.brokerUrl !== undefined ? { brokerUrl: options.brokerUrl } : { publisher: new OfflinePublisher() });
  await daemon.start();
  await daemon.run();
  await daemon.stop();
  trace.endS = trace.speed.at(-1)?.s ?? 0;
  return { frameToDecisionUs, decisionToAppliedUs, frameToAppliedUs, frames: source.frames, trace };
}
