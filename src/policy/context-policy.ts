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

interface RuleSet {
  safe: string;
  rules: RuleDocument[];
}

interface PolicyDocument {
  minSwitchIntervalMs?: number;
  standstillKmh?: number;
  drivers: Record<string, RuleSet & { resources?: Record<string, Partial<RuleSet> & { rules: RuleDocument[] }> }>;
}

/** What one decision is about: a driver's resources that share a policy. */
export interface Target {
  /** `pvnic` for a driver's resources without rules of their own, `pvnic/pvnic1` for one with. */
  readonly key: string;
  readonly driverId: string;
  readonly resources: readonly string[];
}

/** What the policy says a target should take, and the rule that says so. */
export interface PolicyChoice {
  readonly target: Target;
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
    return this.ruleSets().flatMap(({ driverId, base, set }) => [
      ...(set.safe !== undefined ? [{ driverId, personality: set.safe, path: `${base}/safe` }] : []),
      ...set.rules.map((r, i) => ({ driverId, personality: r.personality, path: `${base}/rules/${i}/personality` })),
    ]);
  }

  /** Resources the policy gives rules of their own, per driver, with where. */
  resourceOverrides(): Array<{ driverId: string; resource: string; path: string }> {
    return Object.entries(this.doc.drivers).flatMap(([driverId, d]) => Object.keys(d.resources ?? {}).map((resource) => ({ driverId, resource, path: `/drivers/${driverId}/resources/${resource}` })));
  }

  /**
   * The targets of each driver: its resources with rules of their own, one by one, and
   * the others together; `resourcesOf` lists a driver's resources as the backend has them.
   */
  targets(resourcesOf: (driverId: string) => readonly string[]): Target[] {
    return Object.entries(this.doc.drivers).flatMap(([driverId, d]) => {
      const own = Object.keys(d.resources ?? {});
      const rest = resourcesOf(driverId).filter((r) => !own.includes(r));
      return [...(rest.length > 0 ? [{ key: driverId, driverId, resources: rest }] : []), ...own.map((r) => ({ key: `${driverId}/${r}`, driverId, resources: [r] }))];
    });
  }

  decide(context: ContextState, targets: readonly Target[]): PolicyChoice[] {
    const name = basename(this.file);
    return targets.map((target) => {
      const driver = this.doc.drivers[target.driverId]!;
      const resource = target.key === target.driverId ? undefined : target.resources[0]!;
      const own = resource === undefined ? undefined : driver.resources?.[resource];
      const base = own ? `${name}#/drivers/${target.driverId}/resources/${resource}` : `${name}#/drivers/${target.driverId}`;
      const set = own ?? driver;
      const driverId = target.driverId;
      if (context.driving === 'unknown') {
        return { target, driverId, personality: own?.safe ?? driver.safe, rule: own?.safe !== undefined ? `${base}/safe` : `${name}#/drivers/${driverId}/safe`, safety: true };
      }
      const index = set.rules.findIndex((r) => matches(r, context));
      // check() guarantees a match for every known context.
      return { target, driverId, personality: set.rules[index]!.personality, rule: `${base}/rules/${index}`, safety: false };
    });
  }

  private ruleSets(): Array<{ driverId: string; base: string; set: Partial<RuleSet> & { rules: RuleDocument[] } }> {
    return Object.entries(this.doc.drivers).flatMap(([driverId, d]) => [
      { driverId, base: `/drivers/${driverId}`, set: d },
      ...Object.entries(d.resources ?? {}).map(([r, set]) => ({ driverId, base: `/drivers/${driverId}/resources/${r}`, set })),
    ]);
  }

  private check(): DocumentProblem[] {
    const problems: DocumentProblem[] = [];
    const known = { driving: DRIVING_CONTEXTS.filter((c) => c !== 'unknown'), workload: WORKLOAD_LEVELS, io: IO_PATTERNS } as const;
    for (const { base, set: d } of this.ruleSets()) {
      d.rules.forEach((rule, i) => {
        for (const region of ['driving', 'workload', 'io'] as const) {
          for (const name of asList(rule.when[region]) ?? []) {
            if (!(known[region] as readonly string[]).includes(name)) {
              problems.push({ file: this.file, path: `${base}/rules/${i}/when/${region}`, message: `"${name}" is not one of ${known[region].join(', ')}` });
            }
          }
        }
      });
      const uncovered: string[] = [];
      for (const driving of known.driving) {
        for (const workload of known.workload) {
          for (const io of known.io) if (!d.rules.some((r) => matches(r, { driving, workload, io, instance: 'unknown' }))) uncovered.push(`${driving}/${workload}/${io}`);
        }
      }
      if (uncovered.length > 0) {
        const shown = uncovered.slice(0, 6).join(', ') + (uncovered.length > 6 ? `, … (${uncovered.length} in all)` : '');
        problems.push({ file: this.file, path: `${base}/rules`, message: `no rule matches driving/workload/io ${shown}` });
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
