import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { compileDocumentSchema, DocumentError, readJsonDocument } from '../common/schema.js';
import type { InstanceResources, InstanceRole } from '../context/instance-features.js';
import schema from './host-config.schema.json' with { type: 'json' };

export interface HostInstance {
  readonly role: InstanceRole;
  readonly profile?: string;
  readonly resources: InstanceResources | 'auto';
  readonly constrainedAbove: number;
  readonly limits?: { readonly vcpus?: number; readonly memoryMb?: number };
}

export interface HostConfig {
  readonly namespaceDir?: string;
  readonly broker?: string;
  readonly releases: string;
  readonly intervalMs: number;
  readonly instances: Readonly<Record<string, HostInstance>>;
}

type HostDocument = Omit<HostConfig, 'intervalMs' | 'instances'> & { intervalMs?: number; instances: Record<string, Partial<HostInstance> & { role: InstanceRole }> };

const validate = compileDocumentSchema<HostDocument>(schema);
const INSTANCE_DEFAULTS = schema.properties.instances.additionalProperties.properties;

/**
 * Reads and checks the host agent's configuration, with defaults from its schema.
 * @throws DocumentError listing every problem, by file and JSON pointer
 */
export function loadHostConfig(file: string): HostConfig {
  const document = validate(readJsonDocument(file, (f) => readFileSync(f, 'utf8')), file);
  if (document.namespaceDir === undefined && document.broker === undefined) throw new DocumentError([{ file, path: '', message: 'needs namespaceDir or broker (or both): somewhere to distribute to' }]);
  const base = dirname(file);
  const instances = Object.fromEntries(
    Object.entries(document.instances).map(([id, i]) => [
      id,
      { ...i, resources: i.resources ?? (INSTANCE_DEFAULTS.resources.default as HostInstance['resources']), constrainedAbove: i.constrainedAbove ?? INSTANCE_DEFAULTS.constrainedAbove.default },
    ]),
  );
  return {
    ...document,
    ...(document.namespaceDir !== undefined ? { namespaceDir: resolve(base, document.namespaceDir) } : {}),
    releases: resolve(base, document.releases),
    intervalMs: document.intervalMs ?? schema.properties.intervalMs.default,
    instances,
  };
}
