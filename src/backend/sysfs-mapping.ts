import schema from '../../manifests/schema/sysfs-mapping.schema.json' with { type: 'json' };
import { compileDocumentSchema, DocumentError } from '../common/schema.js';
import { mappingProblems, type MappedParameter } from './userspace-mapping.js';

export type SysfsParameterMapping = MappedParameter & { readonly path: string; readonly selection?: 'plain' | 'bracketed' };

/** One driver's sysfs mapping (manifests/drivers/<driver-id>/sysfs.json), checked. */
export interface SysfsMapping {
  readonly driver: string;
  readonly resources: readonly string[];
  readonly parameters: Readonly<Record<string, SysfsParameterMapping>>;
}

const validate = compileDocumentSchema<SysfsMapping>(schema);

/** Checks a parsed sysfs mapping; throws DocumentError listing every problem with its path. */
export function parseSysfsMapping(data: unknown, file: string): SysfsMapping {
  const mapping = validate(data, file);
  const problems = mappingProblems(mapping.parameters, file);
  for (const [name, p] of Object.entries(mapping.parameters)) {
    const at = `/parameters/${name}/path`;
    if (p.path.split('/').some((segment) => segment === '.' || segment === '..')) problems.push({ file, path: at, message: 'must not contain . or .. segments' });
    if (/[{}]/.test(p.path.replaceAll('{resource}', ''))) problems.push({ file, path: at, message: 'the only placeholder is {resource}' });
  }
  if (problems.length > 0) throw new DocumentError(problems);
  return mapping;
}
