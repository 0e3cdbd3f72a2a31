import type { DocumentProblem } from '../common/schema.js';
import { BackendError, type ApplyClass, type ParameterSpec } from './driver-backend.js';
import { checkParameter } from './parameter-check.js';
import type { ParameterValue } from '../manifests/personality.js';

/** What the sysfs and ethtool mappings share for one parameter. */
export type MappedParameter = { readonly apply: ApplyClass; readonly order: number } & (
  | { readonly type: 'integer'; readonly unit: 'ns' | 'B' | ''; readonly scale?: number; readonly min: number; readonly max: number }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'set'; readonly values: readonly string[] }
);

/** The checks a schema cannot make: bounds in order and on the scale, and unique orders. */
export function mappingProblems(parameters: Readonly<Record<string, MappedParameter>>, file: string): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const orders = new Map<number, string>();
  for (const [name, p] of Object.entries(parameters)) {
    const at = `/parameters/${name}`;
    if (p.type === 'integer') {
      const scale = p.scale ?? 1;
      if (p.min > p.max) problems.push({ file, path: `${at}/min`, message: `${p.min} is above max ${p.max}` });
      if (p.min % scale !== 0) problems.push({ file, path: `${at}/min`, message: `must be a multiple of scale ${scale}` });
      if (p.max % scale !== 0) problems.push({ file, path: `${at}/max`, message: `must be a multiple of scale ${scale}` });
    }
    const other = orders.get(p.order);
    if (other !== undefined) problems.push({ file, path: `${at}/order`, message: `${p.order} is also the order of ${other}` });
    orders.set(p.order, name);
  }
  return problems;
}

export function specOf(p: MappedParameter): ParameterSpec {
  if (p.type === 'integer') return { type: 'integer', unit: p.unit, min: p.min, max: p.max, applyClass: p.apply };
  return { type: p.type, values: p.values, applyClass: p.apply };
}

/** Checks a value against the mapping before anything is touched; errors name `path` and `where`. */
export function checkMapped(p: MappedParameter | undefined, value: ParameterValue, path: string, where: string): void {
  checkParameter(p && specOf(p), value, path);
  if (p!.type !== 'integer') return;
  const scale = p!.scale ?? 1;
  if ((value as number) % scale !== 0) throw new BackendError('E_RANGE', path, `${String(value)} is not a whole number of ${where}'s steps of ${scale}`);
}

/** Names in the mapping's order. */
export function inOrder(parameters: Readonly<Record<string, MappedParameter>>): string[] {
  return Object.entries(parameters)
    .sort(([, a], [, b]) => a.order - b.order)
    .map(([name]) => name);
}
