import type { ValidateFunction } from 'ajv';
import { schemaValidator } from '../common/schema-validator.js';
import type { ManifestStore } from '../manifests/manifest-store.js';
import { ManifestError } from '../manifests/manifest-error.js';
import type { Action } from '../mqtt/contract.js';
import { RequestError, type RequestHandler } from '../mqtt/request-server.js';
import schema from '../mqtt/schemas/requests.schema.json' with { type: 'json' };
import { HoldError } from '../policy/hold-registry.js';
import type { Daemon } from './daemon.js';

/** The check of one action's payload: its definition, with the others it refers to. */
const validator = (name: keyof typeof schema.$defs): ValidateFunction => schemaValidator('request', { $defs: schema.$defs, $ref: `#/$defs/${name}` });
const VALIDATE = { empty: validator('empty'), select: validator('select'), release: validator('release') };

/** Checks an untrusted request against its schema; the first problem becomes a 400 naming its path. */
function check<T>(validate: ValidateFunction, body: unknown): T {
  if (validate(body)) return body as T;
  const e = validate.errors![0]!;
  const path = e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params.additionalProperty)}` : e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
  const message = e.keyword === 'additionalProperties' ? 'unknown field' : e.keyword === 'required' ? 'is required' : (e.message ?? e.keyword);
  throw new RequestError(400, `${path || '/'}: ${message}`, path);
}

interface Select {
  personality: string;
  driver?: string;
  owner?: string;
  priority?: number;
  holdSeconds?: number;
}

export interface HoldContext {
  daemon: Daemon;
  store: () => ManifestStore;
  /** Whether a client has said it is online on client/<client>/presence. */
  isPresent: (owner: string) => boolean;
}

export interface ApiContext extends HoldContext {
  /** The boot id every state payload carries: `why` answers with the decision as state/decision has it. */
  bootId: string;
}

/** The request actions of the MQTT contract, over the daemon. */
export function requestHandlers(context: ApiContext): Record<Action, RequestHandler> {
  const { daemon, store, bootId } = context;
  const { empty } = VALIDATE;
  return {
    ...holdHandlers(context),
    reload: (body) => {
      check(empty, body);
      try {
        return daemon.reloadManifests();
      } catch (err) {
        throw new RequestError(503, `reload failed, the personalities in force stay: ${(err as Error).message}`);
      }
    },
    why: (body) => {
      check(empty, body);
      const latest = daemon.latestDecision();
      if (!latest) throw new RequestError(404, 'no decision yet: no CAN frames have arrived');
      return { ...latest, bootId };
    },
    list: (body) => {
      check(empty, body);
      const s = store();
      return {
        drivers: Object.fromEntries(s.drivers().map((d) => [d, s.list(d).map((p) => ({ name: p.name, version: p.version, description: p.description }))])),
        holds: daemon.holds(),
      };
    },
  };
}

/** The actions that place and release holds, which the dashboard serves too. */
export function holdHandlers({ daemon, store, isPresent }: HoldContext): Record<'select' | 'release', RequestHandler> {
  const { select, release } = VALIDATE;
  return {
    select: (body, caller) => {
      const request = check<Select>(select, body);
      const owner = caller.client;
      // The owner is who the broker says sent it; a payload may only repeat it.
      if (request.owner !== undefined && request.owner !== owner) throw new RequestError(400, `/owner: a hold is owned by its sender, ${owner}; leave owner out`, '/owner');
      const priority = request.priority ?? Math.min(10, caller.role.maxPriority);
      if (caller.role.maxPriority < 1 || priority > caller.role.maxPriority) {
        throw new RequestError(403, caller.role.maxPriority < 1 ? `${owner} has role ${caller.role.name}, which may place no holds` : `/priority: role ${caller.role.name} may ask for at most ${caller.role.maxPriority}, got ${priority}`, '/priority', undefined, 'E_PRIORITY');
      }
      const drivers = store().drivers().filter((d) => store().get(d, request.personality) !== undefined && (request.driver === undefined || request.driver === d));
      if (drivers.length === 0) throw new RequestError(404, `no personality "${request.personality}"${request.driver ? ` for driver "${request.driver}"` : ''}`, '/personality');
      if (drivers.length > 1) throw new RequestError(400, `"${request.personality}" exists for ${drivers.join(', ')}: name the driver`, '/driver');
      if (request.holdSeconds === undefined && !isPresent(owner)) {
        throw new RequestError(400, `/holdSeconds: is required while ${owner} has no presence online (a hold must end when its owner goes away)`, '/holdSeconds');
      }
      const driverId = drivers[0]!;
      let placed;
      try {
        // The role's quota is checked where the hold is placed, with the other holds it counts against.
        placed = daemon.placeHold({ owner, driverId, personality: request.personality, priority, ...(request.holdSeconds !== undefined ? { holdSeconds: request.holdSeconds } : {}) }, { maxPerOwner: caller.role.maxHolds });
      } catch (err) {
        if (err instanceof HoldError && err.code === 'E_HOLD_QUOTA') throw new RequestError(403, `${err.message} (role ${caller.role.name})`, undefined, undefined, err.code);
        if (err instanceof HoldError && err.code === 'E_HOLDS_FULL') throw new RequestError(429, err.message, undefined, undefined, err.code);
        if (err instanceof HoldError) throw new RequestError(400, err.message);
        if (err instanceof ManifestError) throw new RequestError(404, err.message);
        throw err;
      }
      const decided = daemon.latestDecision()?.drivers.filter((d) => d.driverId === driverId) ?? [];
      const data = { hold: placed.hold.id, token: placed.token, driver: driverId, personality: request.personality, targets: decided.map((d) => ({ target: d.target, winner: d.winner.source, personality: d.winner.personality, result: d.result, waiting: d.waiting })) };
      const outranked = decided.find((d) => d.winner.rule !== placed.hold.id);
      if (outranked) throw new RequestError(409, `placed, but outranked by ${outranked.winner.source} ${outranked.winner.rule} on ${outranked.target}`, undefined, data);
      const gated = decided.find((d) => d.result === 'pending' || d.result === 'deferred');
      if (gated) throw new RequestError(409, `placed, but ${gated.result === 'pending' ? 'gated: disruptive parameters wait for a standstill' : `deferred until ${gated.notBefore ?? 'the minimum interval is over'}`}`, undefined, data);
      return data;
    },
    release: (body) => {
      const request = check<{ hold: string; token: string }>(release, body);
      try {
        const hold = daemon.releaseHold(request.hold, request.token);
        return { hold: hold.id, released: true };
      } catch (err) {
        if (err instanceof HoldError) throw new RequestError(err.code === 'E_HOLD_TOKEN' ? 403 : 404, err.message);
        throw err;
      }
    },
  };
}
