import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { compileDocumentSchema, DocumentError, readJsonDocument, type DocumentProblem } from '../common/schema.js';
import { RoleBook, type ApiClientRule, type ApiRoleSpec } from '../mqtt/api-roles.js';
import schema from './config.schema.json' with { type: 'json' };

export interface PersonaConfig {
  ecuId: string;
  broker: string;
  embeddedBrokerPort: number;
  mqttUsername?: string;
  mqttPasswordFile?: string;
  mqttCaFile?: string;
  mqttCertFile?: string;
  mqttKeyFile?: string;
  apiClients: ApiClientRule[];
  apiRoles: Record<string, ApiRoleSpec>;
  apiDefaultRole?: string;
  http?: string;
  httpControl: boolean;
  httpAllowedHosts: string[];
  httpTokenFile?: string;
  can: string;
  speed: number;
  loop: boolean;
  vehicle: string;
  statechart: string;
  policy: string;
  manifests: string;
  trust: string;
  manifestState: string;
  holdState: string;
  maxHolds: number;
  presenceLeaseSeconds: number;
  instanceProfile?: string;
  namespace?: string;
  namespacePollMs: number;
  instanceStaleMs: number;
  backend: 'auto' | 'kmod' | 'simulated' | 'sysfs' | 'ethtool';
  onDrift: 'reassert' | 'report';
  sampleIntervalMs: number;
  workloadIntervalMs: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export const DEFAULT_CONFIG_FILE = 'persona.config.json';
/** The ECU id no instance may have: persona/fleet/ is the shared namespace's. */
const FLEET_ID = 'fleet';
/** How command-line overrides are named in error messages. */
export const COMMAND_LINE = '<command line>';

const validate = compileDocumentSchema<Partial<PersonaConfig>>(schema);
const PATH_KEYS = ['vehicle', 'statechart', 'policy', 'manifests', 'trust', 'manifestState', 'holdState', 'mqttPasswordFile', 'mqttCaFile', 'mqttCertFile', 'mqttKeyFile', 'httpTokenFile'] as const;

/** The defaults, read from the schema: it is their single source. */
function defaults(): PersonaConfig {
  const entries = Object.entries(schema.properties)
    .filter(([, p]) => 'default' in p)
    .map(([key, p]) => [key, (p as { default: unknown }).default]);
  return Object.fromEntries(entries) as PersonaConfig;
}

/** Makes relative paths absolute against `base`, including the file of `replay:FILE` and the folder of `dir:FOLDER`. */
function resolvePaths(config: Partial<PersonaConfig>, base: string): Partial<PersonaConfig> {
  const out = { ...config };
  for (const key of PATH_KEYS) if (out[key] !== undefined) out[key] = resolve(base, out[key]);
  if (out.namespace?.startsWith('dir:')) out.namespace = `dir:${resolve(base, out.namespace.slice('dir:'.length))}`;
  if (out.can?.startsWith('replay:')) out.can = `replay:${resolve(base, out.can.slice('replay:'.length))}`;
  return out;
}

export interface ConfigSources {
  /** `--config FILE`: must exist. Without it, `persona.config.json` in `cwd` is used if present. */
  file?: string;
  /** Values from command-line flags; they win over the file. */
  overrides?: Partial<PersonaConfig>;
  cwd?: string;
}

/**
 * Loads the configuration: schema defaults, then the config file, then flags. Every
 * problem in the file and the flags is collected and thrown together as a DocumentError.
 */
export function loadConfig(sources: ConfigSources = {}): PersonaConfig {
  const cwd = sources.cwd ?? process.cwd();
  const problems: DocumentProblem[] = [];
  let fromFile: Partial<PersonaConfig> = {};
  const file = sources.file !== undefined ? resolve(cwd, sources.file) : existsSync(resolve(cwd, DEFAULT_CONFIG_FILE)) ? resolve(cwd, DEFAULT_CONFIG_FILE) : undefined;
  if (file !== undefined) {
    try {
      fromFile = resolvePaths(validate(readJsonDocument(file, (f) => readFileSync(f, 'utf8')), file), dirname(file));
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      problems.push(...err.problems);
    }
  }
  let fromFlags: Partial<PersonaConfig> = {};
  try {
    fromFlags = resolvePaths(validate(sources.overrides ?? {}, COMMAND_LINE), cwd);
  } catch (err) {
    if (!(err instanceof DocumentError)) throw err;
    problems.push(...err.problems.map((p) => ({ ...p, path: `--${p.path.slice(1).replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}` })));
  }
  // The schema's pattern cannot say why: the shared namespace owns persona/fleet/.
  if (fromFile.ecuId === FLEET_ID) problems.push({ file: file!, path: '/ecuId', message: `"${FLEET_ID}" is taken by the shared namespace (persona/${FLEET_ID}/)` });
  if (fromFlags.ecuId === FLEET_ID) problems.push({ file: COMMAND_LINE, path: '--ecu-id', message: `"${FLEET_ID}" is taken by the shared namespace (persona/${FLEET_ID}/)` });
  if (problems.length > 0) throw new DocumentError(problems);
  const config = { ...(resolvePaths(defaults(), packageRoot()) as PersonaConfig), ...fromFile, ...fromFlags };
  try {
    apiRoleBook(config);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const [path, message] = err.message.split(': ', 2) as [string, string];
    throw new DocumentError([{ file: file ?? COMMAND_LINE, path, message }]);
  }
  return config;
}

/**
 * Who may do what through the request API. A client no rule names is an observer, or an app
 * with the embedded broker: it listens on loopback only and knows no users, so there every
 * name is a local program's own claim (the demo's).
 */
export function apiRoleBook(config: PersonaConfig): RoleBook {
  return new RoleBook(config.apiClients, config.apiDefaultRole ?? (config.broker === 'embedded' ? 'app' : 'observer'), config.apiRoles);
}
