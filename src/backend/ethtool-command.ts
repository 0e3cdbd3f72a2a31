import { execFileSync } from 'node:child_process';

/** Runs ethtool with `args` and returns its standard output; throws with its message when it fails. */
export type EthtoolRunner = (args: readonly string[]) => string;

export const runEthtool: EthtoolRunner = (args) => {
  try {
    return execFileSync('ethtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const failure = err as { status?: number | null; stderr?: string; message: string };
    const why = failure.stderr?.trim() || failure.message;
    throw new Error(`ethtool ${args.join(' ')} failed${failure.status != null ? ` (exit ${failure.status})` : ''}: ${why}`);
  }
};

/** ethtool -g labels its fields in words, -G takes them as words joined by dashes. */
const RING_LABELS: Readonly<Record<string, string>> = { rx: 'RX', 'rx-mini': 'RX Mini', 'rx-jumbo': 'RX Jumbo', tx: 'TX', 'rx-buf-len': 'RX Buf Len' };

function wholeNumber(text: string | undefined, what: string): number {
  if (text === undefined) throw new Error(`${what} is not reported`);
  if (!/^[0-9]+$/.test(text)) throw new Error(`${what} reads ${JSON.stringify(text)}, not a whole number`);
  return Number(text);
}

/** A field of `ethtool -c` ("rx-usecs: 250"). */
export function coalesceField(output: string, field: string, what: string): number {
  const line = output.split('\n').find((l) => l.startsWith(`${field}:`));
  return wholeNumber(line?.slice(field.length + 1).trim(), what);
}

/** A field of the "Current hardware settings" of `ethtool -g`, by its -G name. */
export function ringField(output: string, field: string, what: string): number {
  const label = `${RING_LABELS[field] ?? field}:`;
  const current = output.split('\n').findIndex((l) => l.startsWith('Current hardware settings'));
  if (current < 0) throw new Error(`${what}: ethtool reports no current ring settings`);
  const line = output
    .split('\n')
    .slice(current + 1)
    .find((l) => l.startsWith(label));
  return wholeNumber(line?.slice(label.length).trim(), what);
}

/** The private flags of `ethtool --show-priv-flags` ("gro        : on"), by name. */
export function privateFlags(output: string): Map<string, boolean> {
  const flags = new Map<string, boolean>();
  for (const line of output.split('\n').slice(1)) {
    const match = /^(\S+)\s*:\s*(on|off)\s*$/.exec(line);
    if (match) flags.set(match[1]!, match[2] === 'on');
  }
  return flags;
}

export interface Feature {
  readonly on: boolean;
  /** The driver cannot change it. */
  readonly fixed: boolean;
}

/**
 * The features of `ethtool -k` by name: each line "name: on", "name: off [fixed]" or
 * "name: off [requested on]"; the indented lines are the parts of the feature above them.
 */
export function features(output: string): Map<string, Feature> {
  const found = new Map<string, Feature>();
  for (const line of output.split('\n').slice(1)) {
    const match = /^\s*([a-z0-9][a-z0-9-]*):\s*(on|off)(?:\s+\[(fixed|requested (?:on|off))\])?\s*$/.exec(line);
    if (match) found.set(match[1]!, { on: match[2] === 'on', fixed: match[3] === 'fixed' });
  }
  return found;
}

/** The version line of `ethtool -i`. */
export function driverVersion(output: string): string {
  return /^version:\s*(.*)$/m.exec(output)?.[1]?.trim() ?? '';
}
