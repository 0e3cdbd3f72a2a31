import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DRIVING_CONTEXTS, IO_PATTERNS, WORKLOAD_LEVELS, type ContextState } from '../context/context-names.js';
import { compileDocumentSchema, DocumentError, readJsonDocument, type DocumentProblem } from '../common/schema.js';
import schema from './policy.schema.json' with { type: 'json' };

type OneOrMore = string | string[];

interface RuleDocument {
  when: { driving?: OneOrMore; workload?: OneOrMore; io?: OneOrMore };
  personality: string;
}

interface PolicyDocument {
  minSwitchIntervalMs?: number;
  standstillKmh?: number;
  drivers: Record<string, { safe: string; rules: RuleDocument[] }>;
}

/** What the policy says a driver should take, and the rule that says so. */
export interface PolicyChoice {
  readonly driverId: string;
  readonly personality: string;
  /** `policy.json#/drivers/<id>/rules/<n>` (the policy's file name), or `…/safe` when the context is unknown. */
  readonly rule: string;
  /** The context is unknown: the safe personality, which outranks everything. */
  readonly safety: boolean;
}

const validate = compileDocumentSchema<PolicyDocument>(schema);
const asList = (v: OneOrMore | undefined): readonly string[] | undefined => (v === undefined ? undefined : typeof v === 'string' ? [v] : v);

/** Maps the context (driving, workload, io) to a personality per driver by the first matching rule. */
export class ContextPolicy {
  readonly minSwitchIntervalMs: number;
  readonly standstillKmh: number;

  private constructor(
    readonly file: string,
    private readonly doc: PolicyDocument,
  ) {
    this.minSwitchIntervalMs = doc.minSwitchIntervalMs ?? schema.properties.minSwitchIntervalMs.default;
    this.standstillKmh = doc.standstillKmh ?? schema.properties.standstillKmh.default;
  }

  /** Loads and checks a policy: names must be real states, and every context must be covered. */
  static load(file: string): ContextPolicy {
    const policy = new ContextPolicy(file, validate(readJsonDocument(file, (f) => readFileSync(f, 'utf8')), file));
    const problems = policy.check();
    if (problems.length > 0) throw new DocumentError(problems);
    return policy;
  }

  get drivers(): string[] {
    return Object.keys(this.doc.drivers);
  }

  /** Every personality the policy names, with where, to check against the manifests. */
  referencedPersonalities(): Array<{ driverId: string; personality: string; path: string }> {
    return Object.entries(this.doc.drivers).flatMap(([driverId, d]) => [
      { driverId, personality: d.safe, path: `/drivers/${driverId}/safe` },
      ...d.rules.map((r, i) => ({ driverId, personality: r.personality, path: `/drivers/${driverId}/rules/${i}/personality` })),
    ]);
  }

  decide(context: ContextState): PolicyChoice[] {
    return Object.entries(this.doc.drivers).map(([driverId, d]) => {
      const name = basename(this.file);
      if (context.driving === 'unknown') return { driverId, personality: d.safe, rule: `${name}#/drivers/${driverId}/safe`, safety: true };
      const index = d.rules.findIndex((r) => matches(r, context));
      // check() guarantees a match for every known context.
      const rule = d.rules[index]!;
      return { driverId, personality: rule.personality, rule: `${name}#/drivers/${driverId}/rules/${index}`, safety: false };
    });
  }

  private check(): DocumentProblem[] {
    const problems: DocumentProblem[] = [];
    const known = { driving: DRIVING_CONTEXTS.filter((c) => c !== 'unknown'), workload: WORKLOAD_LEVELS, io: IO_PATTERNS } as const;
    for (const [driverId, d] of Object.entries(this.doc.drivers)) {
      d.rules.forEach((rule, i) => {
        for (const region of ['driving', 'workload', 'io'] as const) {
          for (const name of asList(rule.when[region]) ?? []) {
            if (!(known[region] as readonly string[]).includes(name)) {
              problems.push({ file: this.file, path: `/drivers/${driverId}/rules/${i}/when/${region}`, message: `"${name}" is not one of ${known[region].join(', ')}` });
            }
          }
        }
      });
      const uncovered: string[] = [];
      for (const driving of known.driving) {
        for (const workload of known.workload) {
          for (const io of known.io) if (!d.rules.some((r) => matches(r, { driving, workload, io }))) uncovered.push(`${driving}/${workload}/${io}`);
        }
      }
      if (uncovered.length > 0) {
        const shown = uncovered.slice(0, 6).join(', ') + (uncovered.length > 6 ? `, … (${uncovered.length} in all)` : '');
        problems.push({ file: this.file, path: `/drivers/${driverId}/rules`, message: `no rule matches driving/workload/io ${shown}` });
      }
    }
    return problems;
  }
}

function matches(rule: RuleDocument, context: ContextState): boolean {
  return (['driving', 'workload', 'io'] as const).every((region) => {
    const allowed = asList(rule.when[region]);
    return allowed === undefined || allowed.includes(context[region]);
  });
}
