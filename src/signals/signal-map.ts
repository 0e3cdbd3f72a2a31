import { existsSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { compileDocumentSchema, DocumentError, readJsonDocument, type DocumentProblem } from '../common/schema.js';
import { loadDbcFile } from './dbc-parser.js';
import { DbcSyntaxError } from './dbc-tokenizer.js';
import type { Dbc, DbcMessage, DbcSignal } from './dbc-model.js';
import { normalizeUnit, unitFactor, VSS_UNITS } from './signal-units.js';
import schema from './signal-map.schema.json' with { type: 'json' };

interface SignalMapEntry {
  message: string;
  signal: string;
  factor?: number;
  offset?: number;
  unit?: string;
  dbcUnit?: string;
  values?: Record<string, number>;
  sign?: { signal: string; negativeWhen: number };
  maxAgeMs?: number;
}

interface SignalMapDocument {
  dbc: string;
  geometry?: Partial<VehicleGeometry>;
  signals: Record<string, SignalMapEntry>;
}

/** Where a signal's maximum age comes from, in the order persona looks. */
export type MaxAgeSource = 'mapping' | 'dbc' | 'observed';

/** A VSS signal bound to the DBC signal that carries it. */
export interface MappedSignal {
  /** COVESA VSS name, e.g. `Vehicle.Speed`. */
  readonly vss: string;
  readonly message: DbcMessage;
  readonly signal: DbcSignal;
  readonly factor: number;
  readonly offset: number;
  readonly unit: string;
  /** DBC value → VSS value for enumerations; replaces factor and offset. */
  readonly values?: ReadonlyMap<number, number>;
  /** A separate signal of the same message that carries the sign (VW's `LWI_VZ_Lenkradwinkel`). */
  readonly sign?: { readonly signal: DbcSignal; readonly negativeWhen: number };
  /** Older values count as missing: the mapping's `maxAgeMs`, else 3 × the DBC's cycle time; undefined when learned from the bus. */
  readonly maxAgeMs: number | undefined;
  readonly maxAgeSource: MaxAgeSource;
}

/** What turning does to the four wheel speeds depends on these. */
export interface VehicleGeometry {
  /** Front to rear axle, m. */
  readonly wheelbaseM: number;
  /** Left to right wheel centre, m. */
  readonly trackM: number;
}

/** A mid-size passenger car; a vehicle's `signals.json` gives its own under `geometry`. */
export const DEFAULT_GEOMETRY: VehicleGeometry = { wheelbaseM: 2.7, trackM: 1.6 };

/** A vehicle: its DBC and the VSS signals persona reads from it. */
export interface Vehicle {
  readonly name: string;
  readonly dbc: Dbc;
  readonly signals: readonly MappedSignal[];
  readonly geometry: VehicleGeometry;
  /** Guesses the map leaves to persona (a unit the DBC does not give), one line each; the DBC's own are in `dbc.warnings`. */
  readonly warnings: readonly string[];
}

/** Folders, separated like PATH, where a map's DBC is looked for when it is not beside `signals.json`. */
export const DBC_PATH_VARIABLE = 'PERSONA_DBC_PATH';

const validate = compileDocumentSchema<SignalMapDocument>(schema);

/** Loads `<dir>/signals.json` and the DBC it names; every mapping error is listed. */
export function loadVehicle(dir: string, env: NodeJS.ProcessEnv = process.env): Vehicle {
  const mapFile = join(dir, 'signals.json');
  const doc = validate(readJsonDocument(mapFile, (f) => readFileSync(f, 'utf8')), mapFile);
  const dbc = loadDbc(findDbc(dir, doc.dbc, env[DBC_PATH_VARIABLE], mapFile), mapFile);
  const problems: DocumentProblem[] = [];
  const warnings: string[] = [];
  const signals: MappedSignal[] = [];
  for (const [vss, entry] of Object.entries(doc.signals)) {
    const path = `/signals/${vss}`;
    const message = dbc.messages.find((m) => m.name === entry.message);
    const signal = message?.signals.find((s) => s.name === entry.signal);
    if (!message || !signal) {
      const what = message ? `signal "${entry.signal}" in message "${entry.message}"` : `message "${entry.message}"`;
      problems.push({ file: mapFile, path, message: `${what} is not in ${doc.dbc}` });
      continue;
    }
    const scale = scaleOf(vss, entry, signal);
    if (typeof scale === 'string') {
      problems.push({ file: mapFile, path, message: scale });
      continue;
    }
    if (scale.warning) warnings.push(`${mapFile}: ${path}: ${scale.warning}`);
    const sign = entry.sign && message.signals.find((s) => s.name === entry.sign!.signal);
    if (entry.sign && !sign) {
      problems.push({ file: mapFile, path: `${path}/sign/signal`, message: `signal "${entry.sign.signal}" is not in message "${entry.message}": a sign must come in the same frame as its value` });
      continue;
    }
    const maxAge = entry.maxAgeMs !== undefined ? { ms: entry.maxAgeMs, source: 'mapping' as const } : message.cycleTimeMs !== undefined ? { ms: 3 * message.cycleTimeMs, source: 'dbc' as const } : undefined;
    signals.push({
      vss,
      message,
      signal,
      factor: scale.factor,
      offset: scale.offset,
      unit: scale.unit,
      ...(entry.values ? { values: new Map(Object.entries(entry.values).map(([k, v]) => [Number(k), v])) } : {}),
      ...(sign ? { sign: { signal: sign, negativeWhen: entry.sign!.negativeWhen } } : {}),
      maxAgeMs: maxAge?.ms,
      maxAgeSource: maxAge?.source ?? 'observed',
    });
  }
  if (problems.length > 0) throw new DocumentError(problems);
  return { name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, dbc, signals, geometry: { ...DEFAULT_GEOMETRY, ...doc.geometry }, warnings };
}

/**
 * VSS value = DBC value × factor + offset. A map that gives a factor or offset says the whole
 * conversion itself; otherwise the DBC's unit (or the map's `dbcUnit`) is converted to the
 * unit VSS defines for the signal, so `Unit_KiloMeterPerHour`, `mph` and `g` need no arithmetic.
 */
function scaleOf(vss: string, entry: SignalMapEntry, signal: DbcSignal): { factor: number; offset: number; unit: string; warning?: string } | string {
  const vssUnit = VSS_UNITS.get(vss);
  if (entry.unit !== undefined && vssUnit !== undefined && normalizeUnit(entry.unit) !== vssUnit) {
    return `unit "${entry.unit}": VSS defines ${vss} in ${vssUnit}`;
  }
  if (entry.values) return { factor: 1, offset: 0, unit: entry.unit ?? '' };
  if (entry.factor !== undefined || entry.offset !== undefined) return { factor: entry.factor ?? 1, offset: entry.offset ?? 0, unit: vssUnit ?? entry.unit ?? signal.unit };
  if (vssUnit === undefined) return { factor: 1, offset: 0, unit: entry.unit ?? signal.unit };
  const written = entry.dbcUnit ?? signal.unit;
  const from = normalizeUnit(written);
  if (from === undefined) {
    const said = written.trim() === '' ? 'the DBC gives no unit' : `unit "${written}" is not one persona knows`;
    return { factor: 1, offset: 0, unit: vssUnit, warning: `${said} for ${signal.name}: read as ${vssUnit} (set dbcUnit, or factor and offset, if it is not)` };
  }
  const factor = unitFactor(from, vssUnit);
  if (typeof factor === 'string') return `${signal.name} is in ${written}: ${factor}`;
  return { factor, offset: 0, unit: vssUnit };
}

/**
 * A map's DBC: relative to the vehicle folder, else in the folders of PERSONA_DBC_PATH, so a
 * vehicle whose DBC may not be copied (a licence, a shared corpus) still works from anywhere.
 */
function findDbc(dir: string, name: string, searchPath: string | undefined, mapFile: string): string {
  const beside = resolve(dir, name);
  if (isAbsolute(name) || existsSync(beside)) return beside;
  const folders = (searchPath ?? '').split(delimiter).filter(Boolean);
  const found = folders.map((f) => resolve(f, name)).find((f) => existsSync(f));
  if (found) return found;
  const looked = [beside, ...folders.map((f) => resolve(f, name))].join(', ');
  throw new DocumentError([{ file: mapFile, path: '/dbc', message: `${name} not found (looked at ${looked}${folders.length === 0 ? `; ${DBC_PATH_VARIABLE} is not set` : ''})` }]);
}

/** A DBC that is missing or does not parse is a problem of the map that names it. */
function loadDbc(file: string, mapFile: string): Dbc {
  try {
    return loadDbcFile(file);
  } catch (err) {
    if (err instanceof DbcSyntaxError) throw new DocumentError([{ file: mapFile, path: '/dbc', message: err.message }]);
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new DocumentError([{ file: mapFile, path: '/dbc', message: `cannot read ${file}: ${code}` }]);
    throw err;
  }
}
