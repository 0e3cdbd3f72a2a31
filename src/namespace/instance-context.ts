import { DocumentError, compileDocumentSchema } from '../common/schema.js';
import type { InstanceResources, InstanceRole } from '../context/instance-features.js';
import { parseBoundedJson } from '../manifests/bounded-json.js';
import { ManifestError } from '../manifests/manifest-error.js';
import schema from './instance-context.schema.json' with { type: 'json' };

/** `instances/<instance-id>/context.json`, as validated. */
export interface InstanceContextDocument {
  readonly format: 1;
  readonly instance: string;
  readonly role: InstanceRole;
  readonly resources: InstanceResources;
  readonly hostPressure: number | null;
  readonly updated: string;
  readonly limits?: { readonly vcpus?: number; readonly memoryMb?: number };
}

const validate = compileDocumentSchema<InstanceContextDocument>(schema);

/**
 * Parses an instance context from the namespace, which is no more trusted than any
 * other input: size and depth bounded, schema-checked, and it must name `instanceId`
 * so that a context copied to another instance's place is refused.
 * @throws DocumentError naming `origin` and the field at fault
 */
export function parseInstanceContext(bytes: Uint8Array, origin: string, instanceId: string): InstanceContextDocument {
  let data: unknown;
  try {
    data = parseBoundedJson(bytes, origin);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    throw new DocumentError([{ file: origin, path: '', message: `${error.text} [${error.code}]` }]);
  }
  const document = validate(data, origin);
  if (document.instance !== instanceId) throw new DocumentError([{ file: origin, path: '/instance', message: `is "${document.instance}", not this instance "${instanceId}"` }]);
  if (Number.isNaN(Date.parse(document.updated))) throw new DocumentError([{ file: origin, path: '/updated', message: `"${document.updated}" is not a time` }]);
  return document;
}
