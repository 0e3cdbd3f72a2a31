import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { FrameSource } from './can-frame.js';
import { ReplaySource } from './replay-source.js';
import { SocketCanSource, type ReceiveFilter } from './socketcan-source.js';
import { StdinSource } from './stdin-source.js';

/** Where frames come from, as written in config and on the command line. */
export type SourceSpec = { kind: 'replay'; path: string } | { kind: 'socketcan'; iface: string } | { kind: 'stdin' };

/** `replay:FILE`, `socketcan:IFACE` or `-` (candump -L lines on standard input). */
export const SOURCE_PATTERN = /^(?:replay:.+|socketcan:[A-Za-z0-9_.-]{1,15}|-)$/;

export function parseSourceSpec(text: string): SourceSpec {
  if (!SOURCE_PATTERN.test(text)) throw new RangeError(`CAN source "${text}" must be replay:FILE, socketcan:IFACE or -`);
  if (text === '-') return { kind: 'stdin' };
  if (text.startsWith('socketcan:')) return { kind: 'socketcan', iface: text.slice('socketcan:'.length) };
  return { kind: 'replay', path: text.slice('replay:'.length) };
}

export interface SourceOptions {
  speed: number;
  loop: boolean;
  /** Messages the pipeline uses: a live interface filters the rest out in the kernel. */
  filters: readonly ReceiveFilter[];
  /** The longest stretch of CAN time a source hands over in one batch (frameBatchWindowMs of the vehicle). */
  batchWindowMs?: number;
  logger: Logger;
  clock?: Clock;
}

export function createFrameSource(spec: SourceSpec, options: SourceOptions): FrameSource {
  switch (spec.kind) {
    case 'replay':
      return new ReplaySource(spec.path, { speed: options.speed, loop: options.loop, batchWindowMs: options.batchWindowMs, clock: options.clock, logger: options.logger });
    case 'socketcan':
      return new SocketCanSource(spec.iface, { filters: options.filters, batchWindowMs: options.batchWindowMs, logger: options.logger, clock: options.clock });
    case 'stdin':
      return new StdinSource(process.stdin, options.logger);
  }
}
