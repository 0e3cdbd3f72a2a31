import type { ErrorObject } from 'ajv';
import { schemaValidator } from './schema-validator.js';

/** One problem in a JSON document, located by file and JSON pointer. */
export interface DocumentProblem {
  file: string;
  /** JSON pointer of the offending value ('' for the document itself). */
  path: string;
  message: string;
}

/** Thrown when a trusted document (config, policy, vehicle map) is invalid; lists every problem. */
export class DocumentError extends Error {
  readonly code = 'E_DOCUMENT';
  constructor(readonly problems: readonly DocumentProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: DocumentProblem): string {
  return `${p.file}: ${p.path || '/'}: ${p.message}`;
}

const pointer = (key: string): string => '/' + key.replace(/~/g, '~0').replace(/\//g, '~1');

/** The path of the value at fault: the unknown or missing key itself, not its parent. */
function pathOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return error.instancePath + pointer(String(error.params.additionalProperty));
  if (error.keyword === 'required') return error.instancePath + pointer(String(error.params.missingProperty));
  return error.instancePath;
}

function describe(error: ErrorObject): DocumentProblem['message'] {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'unknown key';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? error.keyword;
  }
}

/**
 * The check of a trusted document against `schema`: every error is reported, nothing is
 * coerced and no defaults are injected, so what is validated is what was written.
 */
export function compileDocumentSchema<T>(schema: object): (data: unknown, file: string) => T {
  const validate = schemaValidator('trusted', schema);
  return (data, file) => {
    if (validate(data)) return data as T;
    const problems = (validate.errors ?? []).map((e) => ({ file, path: pathOf(e), message: describe(e) }));
    throw new DocumentError(problems);
  };
}

/** Reads and parses a JSON file; a missing or unparsable file is a DocumentError naming it. */
export function readJsonDocument(file: string, read: (file: string) => string): unknown {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DocumentError([{ file, path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}` }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DocumentError([{ file, path: '', message: `invalid JSON: ${(err as Error).message}` }]);
  }
}
