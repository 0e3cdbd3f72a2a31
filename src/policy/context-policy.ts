import { readFileSync } from 'node:fs';
import type { DrivingContextName } from '../context/driving-context-machine.js';
import { compileDocumentSchema, readJsonDocument } from '../common/schema.js';
import schema from './policy.schema.json' with { type: 'json' };

interface PolicyDocument {
  drivers: Record<string, { contexts: Record<DrivingContextName, string> }>;
}

/** The personality a driver should take, and the policy rule that chose it. */
export interface Selection {
  readonly driverId: string;
  readonly personality: string;
  readonly rule: string;
}

const validate = compileDocumentSchema<PolicyDocument>(schema);

/** Maps the driving context to a personality per driver, as the policy file says. */
export class ContextPolicy {
  private constructor(
    readonly file: string,
    private readonly doc: PolicyDocument,
  ) {}

  static load(file: string): ContextPolicy {
    return new ContextPolicy(file, validate(readJsonDocument(file, (f) => readFileSync(f, 'utf8')), file));
  }

  get drivers(): string[] {
    return Object.keys(this.doc.drivers);
  }

  /** Every personality the policy names, per driver, to check against the manifest store. */
  referencedPersonalities(): Array<{ driverId: string; personality: string; path: string }> {
    return Object.entries(this.doc.drivers).flatMap(([driverId, d]) =>
      Object.entries(d.contexts).map(([context, personality]) => ({ driverId, personality, path: `/drivers/${driverId}/contexts/${context}` })),
    );
  }

  decide(context: DrivingContextName): Selection[] {
    return Object.entries(this.doc.drivers).map(([driverId, d]) => ({
      driverId,
      personality: d.contexts[context],
      rule: `${this.file}#/drivers/${driverId}/contexts/${context}`,
    }));
  }

}
