import type { ContextChange } from '../context/context-tracker.js';
import type { DrivingFeatures } from '../context/driving-features.js';
import type { DaemonObserver, SwitchRecord } from '../daemon/daemon.js';
import { formatParameter } from '../manifests/personality.js';

/** Prints one readable line per context change and per switch. */
export class ConsoleReporter implements DaemonObserver {
  private startMs: number | undefined;

  constructor(private readonly write: (line: string) => void) {}

  contextChanged(change: ContextChange, features: DrivingFeatures | null): void {
    this.write(`${this.stamp(change.timeMs, features?.speedKmh ?? null)}  ${change.region} ${change.from} → ${change.to}`);
  }

  switched(r: SwitchRecord): void {
    // The resources of a target change alike: each change is shown once.
    const changes = [...new Set(r.changes.map((c) => `${c.name} ${c.from === undefined ? '' : formatParameter(c.name, c.from) + '→'}${formatParameter(c.name, c.to)}`))];
    const waiting = Object.entries(r.waiting).map(([name, v]) => `${name} →${formatParameter(name, v)} at the next standstill`);
    const what = [...changes, ...waiting].join('  ') || 'no parameter changed';
    const why = r.winner.source === 'hold' ? ` (hold ${r.winner.rule} of ${r.winner.owner})` : r.winner.source === 'safety' ? ' (safety)' : '';
    this.write(`${this.stamp(r.timeMs, r.speedKmh)}  ${r.from ?? '(start)'} → ${r.to}${why}: driver ${r.target.key}  ${what}  applied in ${r.durationMs.toFixed(2)} ms`);
  }

  dashboardListening(url: string): void {
    this.write(`persona: dashboard ${url}`);
  }

  applyFailed(target: string, personality: string, error: Error): void {
    this.write(`switch of ${target} to ${personality} failed: ${error.message}`);
  }

  /** `01:23.4   57.0 km/h`: drive time since the first event, and speed. */
  private stamp(timeMs: number, speedKmh: number | null): string {
    this.startMs ??= timeMs;
    const t = (timeMs - this.startMs) / 1000;
    const minutes = Math.floor(t / 60);
    const seconds = (t - minutes * 60).toFixed(1).padStart(4, '0');
    const speed = speedKmh === null ? '   -  ' : speedKmh.toFixed(1).padStart(6);
    return `${String(minutes).padStart(2, '0')}:${seconds} ${speed} km/h`;
  }
}
