/* eslint-disable no-console -- progress of a benchmark run goes to the terminal */
import { performance } from 'node:perf_hooks';

const started = performance.now();

/** One progress line, stamped with the time since the run began, so long steps show they are alive. */
export function progress(text: string): void {
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${text}`);
}

/** Calls `tick` every `everyMs` until the returned function is called: a heartbeat for a long wait. */
export function heartbeat(everyMs: number, tick: () => string): () => void {
  const timer = setInterval(() => progress(tick()), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
