import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { packageRoot } from '../../src/common/package-root.js';

const DIR = join(packageRoot(), 'src/mqtt/schemas');
const ajv = new Ajv2020({
  strict: true,
  allErrors: true,
  formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ },
});
const validators = new Map<string, ValidateFunction>();
// All added first: a schema may refer to another by its $id (an answer's data to a state payload).
const files = readdirSync(DIR).filter((f) => f.endsWith('.schema.json') && f !== 'requests.schema.json');
const ids = files.map((file) => {
  const schema = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { $id: string };
  ajv.addSchema(schema);
  return [file.replace('.schema.json', ''), schema.$id] as const;
});
for (const [name, id] of ids) validators.set(name, ajv.getSchema(id)!);

/** The schema of a topic under persona/<ecu-id>/ (or a response topic), by the contract. */
function schemaOf(topic: string): string | undefined {
  const rest = topic.split('/').slice(2).join('/');
  if (topic.includes('/response/') || topic.startsWith('test/answers/')) return 'response';
  const table: Record<string, string> = { status: 'status', info: 'info', 'state/context': 'context', 'state/workload': 'workload', 'state/personality': 'personality', 'state/holds': 'holds', 'state/decision': 'decision', 'event/switch': 'switch', 'event/rejected': 'rejected', 'event/manifest': 'manifest', 'event/drift': 'drift', 'event/health': 'health', 'state/namespace': 'namespace' };
  return table[rest];
}

/** Problems of one published message against its schema; [] when it conforms. Unknown topics are a problem too. */
/**
 * Problems of an answer to request/<action> against the response schema and, when it carries
 * data (200, or a 409 that placed a hold), against that action's data in the response schema.
 */
export function answerProblems(action: string, text: string): string[] {
  const problems = contractProblems('test/answers/', text);
  const answer = JSON.parse(text) as { status: number; data?: unknown };
  if (answer.data === undefined || (answer.status !== 200 && answer.status !== 409)) return problems;
  const validate = ajv.getSchema(`https://persona.dev/schemas/mqtt/response.json#/$defs/${action}`);
  if (!validate) return [...problems, `${action}: no data schema in the contract`];
  if (validate(answer.data)) return problems;
  return [...problems, ...(validate.errors ?? []).map((e) => `answer to ${action}: data${e.instancePath} ${e.message ?? e.keyword}`)];
}

export function contractProblems(topic: string, text: string): string[] {
  if (/\/(presence|request)\//.test(topic)) return [];
  const name = schemaOf(topic);
  const validate = name === undefined ? undefined : validators.get(name);
  if (!validate) return [`${topic}: no schema in the contract`];
  if (validate(JSON.parse(text))) return [];
  return (validate.errors ?? []).map((e) => `${topic}: ${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
