import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import schema from './workload.schema.json' with { type: 'json' };
import { compileDocumentSchema, readJsonDocument } from '../common/schema.js';

export interface WorkloadStep {
  readonly durationMs: number;
  readonly packetsPerSecond: number;
}

/** Load over time, replayed in full for every sample (src/profile/workload.schema.json). */
export interface Workload {
  readonly description: string;
  readonly steps: readonly WorkloadStep[];
  /** The sum of the steps' durations. */
  readonly durationMs: number;
  /** sha256 (hex) of the file as read, so a profile names exactly the load it measured. */
  readonly digest: string;
}

const validate = compileDocumentSchema<{ description: string; steps: WorkloadStep[] }>(schema);

/** @throws DocumentError naming the file and every problem in it */
export function readWorkload(file: string): Workload {
  let bytes = '';
  const document = validate(
    readJsonDocument(file, (f) => (bytes = readFileSync(f, 'utf8'))),
    file,
  );
  return workloadOf(document.description, document.steps, createHash('sha256').update(bytes).digest('hex'));
}

export function workloadOf(description: string, steps: readonly WorkloadStep[], digest: string): Workload {
  return Object.freeze({
    description,
    steps: Object.freeze(steps.map((s) => Object.freeze({ ...s }))),
    durationMs: steps.reduce((sum, s) => sum + s.durationMs, 0),
    digest,
  });
}
