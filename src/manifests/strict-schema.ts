import type { DefinedError } from 'ajv';
import { schemaValidator } from '../common/schema-validator.js';
import { ManifestError, type ManifestErrorCode } from './manifest-error.js';

/** Checks an untrusted document against its schema; returns it typed or throws. */
export type StrictValidator<T> = (data: unknown, file: string) => T;

/**
 * The check of an untrusted document against `schema`, taken exactly as written: no coercion,
 * no defaults, and the first error ends the check, so a hostile document cannot make us list
 * many. ajv checks a string's length before its pattern, so no pattern sees a long string.
 * @param code the error code for documents that fail it (E_SCHEMA, E_ENVELOPE, …)
 */
export function compileStrictSchema<T>(schema: object, code: ManifestErrorCode): StrictValidator<T> {
  const validate = schemaValidator('untrusted', schema);
  return (data, file) => {
    if (validate(data)) return data as T;
    // ajv always sets errors on failure, and stops at the first one.
    const error = validate.errors?.[0] as DefinedError;
    throw new ManifestError(code, file, describe(error), pointer(error));
  };
}

/** The failing field itself, also for errors ajv reports on the parent object. */
function pointer(error: DefinedError): string {
  // An error in `propertyNames` is about the key itself.
  if (error.propertyName !== undefined) return `${error.instancePath}/${escapePointer(error.propertyName)}`;
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}/${escapePointer(error.params.additionalProperty)}`;
  }
  if (error.keyword === 'required') {
    return `${error.instancePath}/${escapePointer(error.params.missingProperty)}`;
  }
  return error.instancePath;
}

function describe(error: DefinedError): string {
  if (error.keyword === 'additionalProperties') return 'is not allowed';
  if (error.keyword === 'required') return 'is required';
  return `${error.message} (got ${preview(error.data)})`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A JSON pointer segment (RFC 6901): `~` and `/` escaped. */
export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}
