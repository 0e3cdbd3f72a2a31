import { ACTIONS, type Action } from './contract.js';

/** What a client may do through the request API. */
export interface ApiRole {
  readonly name: string;
  /** The actions it may call; any other is answered 403. */
  readonly actions: readonly Action[];
  /** The highest hold priority it may ask for; 0 when it may place none. */
  readonly maxPriority: number;
  /** How many holds it may have in force at once. */
  readonly maxHolds: number;
  /** Its own token bucket: requests per second, and how many at once. */
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
}

export type ApiRoleSpec = Omit<ApiRole, 'name'>;

/**
 * The roles every daemon knows. An observer reads; an app holds personalities below the
 * integrator's and the safety rules' priorities; only the integrator reloads manifests, which
 * may lift health quarantines.
 */
export const BUILT_IN_ROLES: Readonly<Record<string, ApiRoleSpec>> = {
  observer: { actions: ['why', 'list'], maxPriority: 0, maxHolds: 0, requestsPerSecond: 2, requestBurst: 10 },
  app: { actions: ['select', 'release', 'why', 'list'], maxPriority: 500, maxHolds: 4, requestsPerSecond: 5, requestBurst: 20 },
  integrator: { actions: [...ACTIONS], maxPriority: 1000, maxHolds: 16, requestsPerSecond: 20, requestBurst: 50 },
};

/** A client name pattern and its role: `*` matches any run of characters, nothing else is special. */
export interface ApiClientRule {
  readonly client: string;
  readonly role: string;
}

/** Which role each client has: the first rule whose pattern matches, else the default role. */
export class RoleBook {
  private readonly roles: ReadonlyMap<string, ApiRole>;
  private readonly rules: ReadonlyArray<{ pattern: RegExp; role: ApiRole }>;
  private readonly fallback: ApiRole;

  /** Throws a RangeError naming the rule or role when a rule names a role that does not exist. */
  constructor(rules: readonly ApiClientRule[], defaultRole: string, extraRoles: Readonly<Record<string, ApiRoleSpec>> = {}) {
    this.roles = new Map(Object.entries({ ...BUILT_IN_ROLES, ...extraRoles }).map(([name, spec]) => [name, { name, ...spec }]));
    const known = (name: string, where: string): ApiRole => {
      const role = this.roles.get(name);
      if (!role) throw new RangeError(`${where}: no role "${name}"; roles: ${[...this.roles.keys()].join(', ')}`);
      return role;
    };
    this.rules = rules.map((rule, i) => ({ pattern: globPattern(rule.client), role: known(rule.role, `/apiClients/${i}/role`) }));
    this.fallback = known(defaultRole, '/apiDefaultRole');
  }

  roleOf(client: string): ApiRole {
    return this.rules.find((r) => r.pattern.test(client))?.role ?? this.fallback;
  }
}

function globPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}
