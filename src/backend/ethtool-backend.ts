import type { ParameterValue } from '../manifests/personality.js';
import { BackendError } from './driver-backend.js';
import { UserspaceBackend, type UserspaceBackendOptions, type UserspaceDriver, type UserspaceTarget } from './userspace-backend.js';
import { checkMapped, inOrder, specOf } from './userspace-mapping.js';
import { coalesceField, driverVersion, features, privateFlags, ringField, runEthtool, type EthtoolRunner } from './ethtool-command.js';
import type { EthtoolMapping, EthtoolParameterMapping } from './ethtool-mapping.js';

export interface EthtoolBackendOptions extends UserspaceBackendOptions {
  /** Runs the ethtool command; tests put a fake here. */
  ethtool?: EthtoolRunner;
}

function whereOf(p: EthtoolParameterMapping, resource: string): string {
  switch (p.setting) {
    case 'coalesce':
      return `ethtool -C ${resource} ${p.field}`;
    case 'ring':
      return `ethtool -G ${resource} ${p.field}`;
    case 'priv-flags':
      return `ethtool --set-priv-flags ${resource}`;
    case 'features':
      return `ethtool -K ${resource}`;
  }
}

function targetOf(p: EthtoolParameterMapping, resource: string, ethtool: EthtoolRunner): UserspaceTarget {
  const where = whereOf(p, resource);
  const scale = p.type === 'integer' ? (p.scale ?? 1) : 1;
  switch (p.setting) {
    case 'coalesce':
      return {
        where,
        read: () => coalesceField(ethtool(['-c', resource]), p.field, where) * scale,
        write: (value) => void ethtool(['-C', resource, p.field, String((value as number) / scale)]),
      };
    case 'ring':
      return {
        where,
        read: () => ringField(ethtool(['-g', resource]), p.field, where) * scale,
        write: (value) => void ethtool(['-G', resource, p.field, String((value as number) / scale)]),
      };
    case 'priv-flags': {
      const names = p.type === 'set' ? p.values : [];
      return {
        where,
        read: (): ParameterValue => {
          const flags = privateFlags(ethtool(['--show-priv-flags', resource]));
          const missing = names.filter((n) => !flags.has(n));
          if (missing.length > 0) throw new Error(`${resource} has no private flag ${missing.join(', ')}`);
          return names.filter((n) => flags.get(n)).sort();
        },
        // One command for every mapped flag, so the driver sees the whole set at once.
        write: (value) => void ethtool(['--set-priv-flags', resource, ...names.flatMap((n) => [n, (value as readonly string[]).includes(n) ? 'on' : 'off'])]),
      };
    }
    case 'features': {
      const names = p.type === 'set' ? p.values : [];
      const read = (): Map<string, { on: boolean; fixed: boolean }> => {
        const all = features(ethtool(['-k', resource]));
        const missing = names.filter((n) => !all.has(n));
        if (missing.length > 0) throw new Error(`${resource} has no feature ${missing.join(', ')}`);
        return all;
      };
      return {
        where,
        read: (): ParameterValue => {
          const all = read();
          return names.filter((n) => all.get(n)!.on).sort();
        },
        // Only what changes, in one command: ethtool -K refuses a fixed feature even when it is asked for what it already is.
        write: (value) => {
          const all = read();
          const wanted = (n: string): boolean => (value as readonly string[]).includes(n);
          const changes = names.filter((n) => all.get(n)!.on !== wanted(n));
          const fixed = changes.filter((n) => all.get(n)!.fixed);
          if (fixed.length > 0) throw new Error(`${fixed.map((n) => `${n} is fixed ${all.get(n)!.on ? 'on' : 'off'}`).join(', ')} on ${resource}`);
          if (changes.length > 0) ethtool(['-K', resource, ...changes.flatMap((n) => [n, wanted(n) ? 'on' : 'off'])]);
        },
      };
    }
  }
}

function versionOf(mapping: EthtoolMapping, ethtool: EthtoolRunner): string {
  const first = mapping.resources[0]!;
  try {
    return driverVersion(ethtool(['-i', first]));
  } catch (err) {
    throw new BackendError('E_DRIVER', `${mapping.driver}/${first}`, `cannot read the driver's version: ${(err as Error).message}`);
  }
}

function driverOf(mapping: EthtoolMapping, ethtool: EthtoolRunner): UserspaceDriver {
  const order = inOrder(mapping.parameters);
  return {
    info: {
      id: mapping.driver,
      version: versionOf(mapping, ethtool),
      resources: mapping.resources,
      parameters: Object.fromEntries(order.map((name) => [name, specOf(mapping.parameters[name]!)])),
    },
    order,
    check: (name, value, path) => {
      const p = mapping.parameters[name];
      checkMapped(p, value, path, p ? whereOf(p, '<if>') : name);
    },
    target: (resource, name) => targetOf(mapping.parameters[name]!, resource, ethtool),
  };
}

/**
 * Coalescing, ring sizes and private flags of network drivers without persona hooks, through
 * the ethtool command (-c/-C, -g/-G, --show-priv-flags/--set-priv-flags), one mapping per
 * driver. The command, not ethtool's netlink family directly: it is the kernel's own client, so
 * it speaks netlink or the old ioctl as the kernel needs, and what persona does is what an
 * operator would type; the price is a process per read or write and a text format to parse.
 * All or nothing as far as userspace can make it (UserspaceBackend). Construction reads every
 * mapped value once and throws BackendError naming the first that cannot be read.
 */
export class EthtoolBackend extends UserspaceBackend {
  readonly kind = 'ethtool' as const;

  constructor(mappings: readonly EthtoolMapping[], options: EthtoolBackendOptions = {}) {
    super(
      mappings.map((m) => driverOf(m, options.ethtool ?? runEthtool)),
      options,
    );
  }
}
