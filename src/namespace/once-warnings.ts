import type { Logger } from '../common/logger.js';
import { MAX_NAMESPACE_ENTRIES } from './namespace-source.js';

/**
 * Warnings about what a namespace holds, each said once, and no more than a bounded number of
 * different ones: a namespace that repeats a problem at every poll or message, or floods
 * new ones, is not a flood of logs or of remembered texts.
 */
export class OnceWarnings {
  private readonly said = new Set<string>();

  constructor(private readonly logger: Logger) {}

  warn(text: string): void {
    if (this.said.has(text) || this.said.size >= MAX_NAMESPACE_ENTRIES) return;
    this.said.add(text);
    this.logger.warn(text);
  }
}
