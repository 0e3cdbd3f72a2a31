import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { ParameterValue } from '../manifests/personality.js';
import { checkMapped, inOrder, specOf } from './userspace-mapping.js';
import { UserspaceBackend, type UserspaceBackendOptions, type UserspaceDriver, type UserspaceTarget } from './userspace-backend.js';
import type { SysfsMapping, SysfsParameterMapping } from './sysfs-mapping.js';

/** How the backend reads and writes a file; tests put a fake tree or a failing writer here. */
export interface SysfsFiles {
  read(path: string): string;
  write(path: string, text: string): void;
}

export const realSysfsFiles: SysfsFiles = {
  read: (path) => readFileSync(path, 'utf8'),
  // One write(2) of the whole value: sysfs stores take a value per write call.
  write: (path, text) => writeFileSync(path, text, { flag: 'r+' }),
};

export interface SysfsBackendOptions extends UserspaceBackendOptions {
  files?: SysfsFiles;
  /** Prefixed to every mapped path; default '/'. */
  root?: string;
}

/** The word a bracketed choice file ('[mq-deadline] none') has selected. */
function selected(text: string, file: string): string {
  const match = /\[([^\]\s]+)\]/.exec(text);
  if (!match) throw new Error(`${file} brackets no choice: ${JSON.stringify(text.trim())}`);
  return match[1]!;
}

function decode(p: SysfsParameterMapping, text: string, file: string): ParameterValue {
  if (p.type === 'set') throw new Error(`${file}: sysfs mappings have no sets`);
  if (p.type === 'enum') return p.selection === 'bracketed' ? selected(text, file) : text.trim();
  const raw = text.trim();
  if (!/^[0-9]+$/.test(raw)) throw new Error(`${file} holds ${JSON.stringify(raw)}, not a whole number`);
  return Number(raw) * (p.scale ?? 1);
}

function encode(p: SysfsParameterMapping, value: ParameterValue): string {
  return p.type === 'integer' ? String((value as number) / (p.scale ?? 1)) : (value as string);
}

function driverOf(mapping: SysfsMapping, files: SysfsFiles, root: string): UserspaceDriver {
  const order = inOrder(mapping.parameters);
  const file = (p: SysfsParameterMapping, resource: string) => join(root, p.path.replaceAll('{resource}', resource));
  return {
    info: {
      id: mapping.driver,
      // sysfs files are the kernel's, so their behaviour is the running kernel's.
      version: release(),
      resources: mapping.resources,
      parameters: Object.fromEntries(order.map((name) => [name, specOf(mapping.parameters[name]!)])),
    },
    order,
    check: (name, value, path) => checkMapped(mapping.parameters[name], value, path, mapping.parameters[name]?.path ?? name),
    target(resource, name): UserspaceTarget {
      const p = mapping.parameters[name]!;
      const where = file(p, resource);
      return {
        where,
        read: () => decode(p, files.read(where), where),
        write: (value) => files.write(where, encode(p, value)),
      };
    },
  };
}

/**
 * Parameters that unmodified drivers expose as sysfs files (/sys/class/net/<if>/gro_flush_timeout,
 * /sys/block/<dev>/queue/*, /sys/module/<m>/parameters/*), one mapping per driver. All or
 * nothing as far as userspace can make it (UserspaceBackend). Construction reads every mapped
 * file once and throws BackendError naming the first that cannot be read.
 */
export class SysfsBackend extends UserspaceBackend {
  readonly kind = 'sysfs' as const;

  constructor(mappings: readonly SysfsMapping[], options: SysfsBackendOptions = {}) {
    super(
      mappings.map((m) => driverOf(m, options.files ?? realSysfsFiles, options.root ?? '/')),
      options,
    );
  }
}
