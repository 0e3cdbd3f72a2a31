import { readFileSync } from 'node:fs';
import schema from '../../manifests/schema/mapping.schema.json' with { type: 'json' };
import { compileDocumentSchema, DocumentError, readJsonDocument, type DocumentProblem } from '../common/schema.js';
import { ManifestError } from './manifest-error.js';
import { ConfinedFolder } from './confined-file.js';
import { mappingFile, mappingPath } from './manifest-layout.js';
import {
  formatParameter,
  type ApplyClass,
  type ParameterValue,
  type ParameterValues,
  type ResolvedParameter,
} from './personality.js';
import { parseDuration, parseSize, UnitError } from './units.js';

interface Common {
  driverParameter: string;
  apply: ApplyClass;
  order: number;
}
type MappingEntry =
  | (Common & { type: 'duration' | 'size'; unit: string; min: string; max: string })
  | (Common & { type: 'enum' | 'set'; values: string[] });

interface MappingDocument {
  driver: string;
  parameters: Record<string, MappingEntry>;
}

/** What a driver takes for one abstract parameter. */
type MappedParameter = Common & { name: string; allowed: string } & (
  | { type: 'duration' | 'size'; unit: string; factor: number; min: number; max: number }
  | { type: 'enum' | 'set'; values: readonly string[] }
);

/** A parameter value of a resolved personality, and the personality that set it. */
export interface InheritedValue {
  readonly value: ParameterValue;
  readonly from: string;
}

const validate = compileDocumentSchema<MappingDocument>(schema);
// Driver units in ns or bytes; the schema allows no others.
const FACTORS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, B: 1, KB: 1024, MB: 1024 * 1024 };

/**
 * One driver's mapping (manifests/drivers/<driver-id>/mapping.json): its own name,
 * unit, range or values, apply class and apply order for each abstract parameter
 * it has. Written by the integrator, so loading lists every problem at once.
 */
export class ParameterMapping {
  private constructor(
    readonly file: string,
    readonly driverId: string,
    private readonly byName: ReadonlyMap<string, MappedParameter>,
  ) {}

  /**
   * The mapping of a driver in a manifest folder (`drivers/<driver-id>/mapping.json`).
   * It is read like a manifest: no link below `dir`.
   * @returns undefined when the driver has none: then none of its manifests can be used
   * @throws DocumentError listing every problem of the file
   * @throws ManifestError E_LINK when it or a folder on its way is a link, E_SIZE, E_READ
   */
  static find(dir: string, driverId: string): ParameterMapping | undefined {
    const root = new ConfinedFolder(dir);
    const relative = mappingPath(driverId);
    if (root.stat(relative) === undefined) return undefined;
    // Read before parsing, so that a link is refused as E_LINK like any file of the folder.
    const text = root.readFile(relative).toString('utf8');
    return ParameterMapping.load(mappingFile(dir, driverId), driverId, () => text);
  }

  /**
   * @param read how to read `file`: as named, unless it was found below a manifest folder
   * @throws DocumentError listing every problem of the file
   */
  static load(file: string, driverId: string, read: () => string = () => readFileSync(file, 'utf8')): ParameterMapping {
    const document = validate(readJsonDocument(file, read), file);
    const problems: DocumentProblem[] = [];
    const problem = (path: string, message: string): number => problems.push({ file, path, message });
    if (document.driver !== driverId) problem('/driver', `is "${document.driver}", but the folder is "${driverId}"`);
    const byName = new Map<string, MappedParameter>();
    for (const [name, entry] of Object.entries(document.parameters)) {
      const path = `/parameters/${name}`;
      const clash = [...byName.values()].find((p) => p.order === entry.order || p.driverParameter === entry.driverParameter);
      if (clash?.order === entry.order) problem(`${path}/order`, `is also the order of ${clash.name}`);
      else if (clash !== undefined) problem(`${path}/driverParameter`, `is also the driver parameter of ${clash.name}`);
      byName.set(name, mapped(name, entry, path, problem));
    }
    if (problems.length > 0) throw new DocumentError(problems);
    return new ParameterMapping(file, driverId, byName);
  }

  /**
   * Checks the parameters one manifest sets against the driver.
   * @throws ManifestError E_MAPPING naming the manifest file and the parameter
   */
  check(parameters: ParameterValues, file: string): void {
    for (const [name, value] of Object.entries(parameters)) {
      const fail = (text: string): ManifestError => new ManifestError('E_MAPPING', file, text, `/parameters/${name}`);
      const parameter = this.byName.get(name);
      if (parameter === undefined) throw fail(`driver ${this.driverId} has no such parameter (${this.file})`);
      if (typeof value === 'number' && 'factor' in parameter) {
        const shown = formatParameter(name, value);
        if (value < parameter.min || value > parameter.max) throw fail(`${shown} is outside ${parameter.allowed}`);
        if (value % parameter.factor !== 0) {
          throw fail(`${shown} is not a whole number of ${parameter.unit}, the unit of ${parameter.driverParameter}`);
        }
      } else if (typeof value === 'string' && 'values' in parameter) {
        if (!parameter.values.includes(value)) throw fail(`"${value}" is not one of ${parameter.allowed}`);
      } else if (Array.isArray(value) && 'values' in parameter) {
        const unknown = (value as readonly string[]).filter((v) => !parameter.values.includes(v));
        if (unknown.length > 0) throw fail(`${unknown.join(', ')} not in ${parameter.allowed}`);
      } else {
        throw fail(`${JSON.stringify(value)} is not a ${parameter.type}`);
      }
    }
  }

  /** Checked values as the driver takes them, in its apply order. */
  resolve(values: ReadonlyMap<string, InheritedValue>): ResolvedParameter[] {
    return [...values]
      .map(([name, { value, from }]): ResolvedParameter => {
        const parameter = this.byName.get(name);
        if (parameter === undefined) throw new Error(`${name} was not checked against ${this.file}`);
        const { driverParameter, allowed, apply, order } = parameter;
        const numeric = typeof value === 'number' && 'factor' in parameter;
        return {
          name,
          value,
          driverParameter,
          driverValue: numeric ? value / parameter.factor : value,
          driverUnit: numeric ? parameter.unit : '',
          allowed,
          apply,
          order,
          from,
        };
      })
      .sort((a, b) => a.order - b.order);
  }
}

/** Why a manifest of a driver without mapping is refused. */
export function missingMapping(dir: string, driverId: string, file: string): ManifestError {
  return new ManifestError('E_MAPPING', file, `driver ${driverId} has no mapping (${mappingFile(dir, driverId)})`, '/driver/id');
}

function mapped(
  name: string,
  entry: MappingEntry,
  path: string,
  problem: (path: string, message: string) => void,
): MappedParameter {
  const { driverParameter, apply, order } = entry;
  if ('values' in entry) {
    const allowed = entry.type === 'enum' ? entry.values.join('|') : `{${entry.values.join(',')}}`;
    return { name, driverParameter, apply, order, allowed, type: entry.type, values: entry.values };
  }
  const { type, unit } = entry;
  const written = { min: entry.min, max: entry.max };
  const factor = FACTORS[unit] ?? 1;
  const bound = (key: 'min' | 'max'): number => {
    try {
      const value = type === 'duration' ? parseDuration(written[key]) : parseSize(written[key]);
      if (value % factor !== 0) problem(`${path}/${key}`, `is not a whole number of ${unit}`);
      return value;
    } catch (error) {
      if (!(error instanceof UnitError)) throw error;
      problem(`${path}/${key}`, error.message);
      return Number.NaN; // compares false, so no second problem is made of the first
    }
  };
  const [min, max] = [bound('min'), bound('max')];
  if (min > max) problem(`${path}/max`, `is below min ${written.min}`);
  const allowed = `${written.min}..${written.max}`;
  return { name, driverParameter, apply, order, allowed, type, unit, factor, min, max };
}
