import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DRIVING_CONTEXTS, INSTANCE_STATES, IO_PATTERNS, WORKLOAD_LEVELS, type ContextState } from '../context/context-names.js';
import { INSTANCE_ROLES, type InstanceRole } from '../context/instance-features.js';
import { compileDocumentSchema, DocumentError, readJsonDocument, type DocumentProblem } from '../common/schema.js';
import schema from './policy.schema.json' with { type: 'json' };

type OneOrMore = string | string[];

/** What a rule may name: the statechart's regions, and the role the host gives this instance. */
const CONDITIONS = ['driving', 'workload', 'io', 'instance', 'role'] as const;
type Condition = (typeof CONDITIONS)[number];

interface RuleDocument {
  when: Partial<Record<Condition, OneOrMore>>;
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

/**
 * What the policy decides on: the state of each region, and the role the host names for
 * this instance, null when it names none or its context is not fresh.
 */
export interface PolicyContext extends ContextState {
  readonly role: InstanceRole | null;
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

/** Maps the context (driving, workload, io, instance, and the instance's role) to a personality per driver by the first matching rule. */
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

  /** The driving context unknown gives the safe personality, whatever the other regions and the role say. */
  decide(context: PolicyContext, targets: readonly Target[]): PolicyChoice[] {
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
    const known: Record<Condition, readonly string[]> = { driving: DRIVING_CONTEXTS.filter((c) => c !== 'unknown'), workload: WORKLOAD_LEVELS, io: IO_PATTERNS, instance: INSTANCE_STATES, role: INSTANCE_ROLES };
    const contexts = everyContext();
    for (const { base, set: d } of this.ruleSets()) {
      d.rules.forEach((rule, i) => {
        for (const condition of CONDITIONS) {
          for (const name of asList(rule.when[condition]) ?? []) {
            if (!known[condition].includes(name)) {
              problems.push({ file: this.file, path: `${base}/rules/${i}/when/${condition}`, message: `"${name}" is not one of ${known[condition].join(', ')}` });
            }
          }
        }
      });
      const uncovered = contexts
        .filter((context) => !d.rules.some((r) => matches(r, context)))
        .map((c) => `${c.driving}/${c.workload}/${c.io}/${c.instance}/${c.role ?? 'none'}`);
      if (uncovered.length > 0) {
        const shown = uncovered.slice(0, 6).join(', ') + (uncovered.length > 6 ? `, … (${uncovered.length} in all)` : '');
        problems.push({ file: this.file, path: `${base}/rules`, message: `no rule matches driving/workload/io/instance/role ${shown}` });
      }
    }
    return problems;
  }
}

/**
 * Every context the rules must cover: driving other than unknown (that is safety's), and a
 * role only where the instance region is not unknown, since only then can one be named.
 */
function everyContext(): PolicyContext[] {
  const contexts: PolicyContext[] = [];
  for (const instance of INSTANCE_STATES) {
    for (const role of instance === 'unknown' ? [null] : [null, ...INSTANCE_ROLES]) {
      for (const driving of DRIVING_CONTEXTS.filter((c) => c !== 'unknown')) {
        for (const workload of WORKLOAD_LEVELS) for (const io of IO_PATTERNS) contexts.push({ driving, workload, io, instance, role });
      }
    }
  }
  return contexts;
}

/** A condition left out matches anything; `role` matches only a role the host names while its context is fresh. */
function matches(rule: RuleDocument, context: PolicyContext): boolean {
  const role = context.instance === 'unknown' ? null : context.role;
  const value: Record<Condition, string | null> = { ...context, role };
  return CONDITIONS.every((condition) => {
    const allowed = asList(rule.when[condition]);
    return allowed === undefined || (value[condition] !== null && allowed.includes(value[condition]));
  });
}
