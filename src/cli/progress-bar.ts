/**
 * Points done and time left on stderr. On a terminal one line redrawn in place; elsewhere (CI
 * logs, a test's pipe) one line per finished point, so a log shows progress without escapes.
 */
export class ProgressBar {
  private lastPoint = -1;

  constructor(
    private readonly write: (text: string) => void,
    private readonly terminal: boolean,
    private readonly samplesPerPoint: number,
  ) {}

  update(samplesDone: number, samplesTotal: number, elapsedMs: number): void {
    const points = Math.floor(samplesDone / this.samplesPerPoint);
    const total = Math.ceil(samplesTotal / this.samplesPerPoint);
    const leftMs = samplesDone > 0 ? (elapsedMs / samplesDone) * (samplesTotal - samplesDone) : Number.NaN;
    const width = 30;
    const filled = Math.round((samplesDone / samplesTotal) * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${points}/${total} points, ${clock(elapsedMs)} elapsed, ${clock(leftMs)} left`;
    if (this.terminal) this.write(`\r${line}\x1b[K`);
    else if (points !== this.lastPoint) this.write(`${line}\n`);
    this.lastPoint = points;
  }

  /** Ends the redrawn line, so what follows starts on its own. */
  finish(): void {
    if (this.terminal) this.write('\n');
  }
}

/** m:ss, or h:mm:ss past an hour; `-:--` before anything is known. */
export function clock(ms: number): string {
  if (!Number.isFinite(ms)) return '-:--';
  const s = Math.round(ms / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}
