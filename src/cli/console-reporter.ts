import type { ContextChange } from '../context/context-tracker.js';
import type { DaemonObserver, SwitchRecord } from '../daemon/daemon.js';
import { formatParameter } from '../manifests/personality.js';
import type { Selection } from '../policy/context-policy.js';

/** Prints one readable line per context change and per switch. */
export class ConsoleReporter implements DaemonObserver {
  private startMs: number | undefined;

  constructor(private readonly write: (line: string) => void) {}

  contextChanged(change: ContextChange): void {
    this.write(`${this.stamp(change.timeMs, change.features.speedKmh)}  context ${change.from} → ${change.to}`);
  }

  switched(r: SwitchRecord): void {
    const changes = r.changes.map((c) => `${c.name} ${c.from === undefined ? '' : formatParameter(c.name, c.from) + '→'}${formatParameter(c.name, c.to)}`);
    const what = changes.length > 0 ? changes.join('  ') : 'no parameter changed';
    this.write(`${this.stamp(r.timeMs, r.speedKmh)}  ${r.from ?? '(start)'} → ${r.to}: driver ${r.driverId}  ${what}  applied in ${r.durationMs.toFixed(2)} ms`);
  }

  applyFailed(selection: Selection, error: Error): void {
    this.write(`switch of driver ${selection.driverId} to ${selection.personality} failed: ${error.message}`);
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
