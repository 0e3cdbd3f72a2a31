import type { ParameterValue } from '../manifests/personality.js';
import { BackendError, type ParameterSpec } from './driver-backend.js';

/** Checks one value against the driver's declaration; throws BackendError naming `path`. */
export function checkParameter(spec: ParameterSpec | undefined, value: ParameterValue, path: string): void {
  if (spec === undefined) throw new BackendError('E_PARAMETER', path, 'the driver has no such parameter');
  switch (spec.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new BackendError('E_RANGE', path, 'must be an integer');
      if (value < spec.min || value > spec.max) throw new BackendError('E_RANGE', path, `${value}${spec.unit} is outside ${spec.min}..${spec.max}${spec.unit}`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) throw new BackendError('E_RANGE', path, `must be one of ${spec.values.join(', ')}`);
      return;
    case 'set': {
      if (!Array.isArray(value)) throw new BackendError('E_RANGE', path, 'must be a list');
      const unknown = (value as readonly string[]).filter((v) => !spec.values.includes(v));
      if (unknown.length > 0) throw new BackendError('E_RANGE', path, `unsupported: ${unknown.join(', ')}`);
      return;
    }
  }
}

export function sameValue(a: ParameterValue | undefined, b: ParameterValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}
