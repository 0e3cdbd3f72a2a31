import { ManifestError, type ManifestErrorCode } from './manifest-error.js';

/** UTC to the second, `2027-01-01T00:00:00Z`: one way to write each instant. */
export const TIMESTAMP_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

/**
 * Milliseconds since the epoch of a timestamp written as TIMESTAMP_PATTERN says.
 * Dates that do not exist (`2026-02-30`, `24:00:00`) are rejected rather than
 * rolled over into the next day.
 * @throws ManifestError with `code` (E_SCHEMA for documents, E_STATE for the state file)
 */
export function parseTimestamp(text: string, file: string, path: string, code: ManifestErrorCode): number {
  const ms = TIMESTAMP_PATTERN.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms) || formatTimestamp(ms) !== text) {
    throw new ManifestError(code, file, `${JSON.stringify(text)} is not a valid UTC time`, path);
  }
  return ms;
}

/** The inverse of parseTimestamp, for whole seconds. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
