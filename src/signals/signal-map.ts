import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileDocumentSchema, DocumentError, readJsonDocument } from '../common/schema.js';
import { loadDbcFile } from './dbc-parser.js';
import { DbcSyntaxError } from './dbc-tokenizer.js';
import type { Dbc, DbcMessage, DbcSignal } from './dbc-model.js';
import schema from './signal-map.schema.json' with { type: 'json' };

interface SignalMapEntry {
  message: string;
  signal: string;
  factor?: number;
  offset?: number;
  unit?: string;
  values?: Record<string, number>;
  maxAgeMs?: number;
}

interface SignalMapDocument {
  dbc: string;
  signals: Record<string, SignalMapEntry>;
}

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
  /** Older values count as missing. */
  readonly maxAgeMs: number;
}

/** A vehicle: its DBC and the VSS signals persona reads from it. */
export interface Vehicle {
  readonly name: string;
  readonly dbc: Dbc;
  readonly signals: readonly MappedSignal[];
}

/** Used when neither the map nor the DBC gives a cycle time. */
const DEFAULT_CYCLE_MS = 100;
const validate = compileDocumentSchema<SignalMapDocument>(schema);

/** Loads `vehicles/<name>/signals.json` and the DBC it names; every mapping error is listed. */
export function loadVehicle(dir: string): Vehicle {
  const mapFile = join(dir, 'signals.json');
  const doc = validate(readJsonDocument(mapFile, (f) => readFileSync(f, 'utf8')), mapFile);
  const dbc = loadDbc(resolve(dir, doc.dbc), mapFile);
  const problems = [];
  const signals: MappedSignal[] = [];
  for (const [vss, entry] of Object.entries(doc.signals)) {
    const message = dbc.messages.find((m) => m.name === entry.message);
    const signal = message?.signals.find((s) => s.name === entry.signal);
    if (!message || !signal) {
      const what = message ? `signal "${entry.signal}" in message "${entry.message}"` : `message "${entry.message}"`;
      problems.push({ file: mapFile, path: `/signals/${vss}`, message: `${what} is not in ${doc.dbc}` });
      continue;
    }
    signals.push({
      vss,
      message,
      signal,
      factor: entry.factor ?? 1,
      offset: entry.offset ?? 0,
      unit: entry.unit ?? signal.unit,
      ...(entry.values ? { values: new Map(Object.entries(entry.values).map(([k, v]) => [Number(k), v])) } : {}),
      maxAgeMs: entry.maxAgeMs ?? 3 * (message.cycleTimeMs ?? DEFAULT_CYCLE_MS),
    });
  }
  if (problems.length > 0) throw new DocumentError(problems);
  return { name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, dbc, signals };
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
