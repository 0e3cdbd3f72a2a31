import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';

/**
 * The environment the Yocto layer's persona.service gives the daemon (its `Environment=`
 * lines: the heap settings), so that a benchmark measures the daemon as the car runs it.
 */
export function shippedEnvironment(): Record<string, string> {
  const unit = readFileSync(join(packageRoot(), 'yocto-layer/recipes-support/persona/files/persona.service'), 'utf8');
  const out: Record<string, string> = {};
  for (const [, name, value] of unit.matchAll(/^Environment="?([A-Z_]+)=(.*?)"?$/gm)) out[name!] = value!;
  return out;
}
