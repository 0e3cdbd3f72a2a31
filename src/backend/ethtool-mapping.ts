import schema from '../../manifests/schema/ethtool-mapping.schema.json' with { type: 'json' };
import { compileDocumentSchema, DocumentError } from '../common/schema.js';
import { mappingProblems, type MappedParameter } from './userspace-mapping.js';

export type EthtoolParameterMapping = MappedParameter &
  ({ readonly setting: 'coalesce' | 'ring'; readonly field: string } | { readonly setting: 'priv-flags' | 'features' });

/** One driver's ethtool mapping (manifests/drivers/<driver-id>/ethtool.json), checked. */
export interface EthtoolMapping {
  readonly driver: string;
  readonly resources: readonly string[];
  readonly parameters: Readonly<Record<string, EthtoolParameterMapping>>;
}

const validate = compileDocumentSchema<EthtoolMapping>(schema);

/** Checks a parsed ethtool mapping; throws DocumentError listing every problem with its path. */
export function parseEthtoolMapping(data: unknown, file: string): EthtoolMapping {
  const mapping = validate(data, file);
  const problems = mappingProblems(mapping.parameters, file);
  if (problems.length > 0) throw new DocumentError(problems);
  return mapping;
}
