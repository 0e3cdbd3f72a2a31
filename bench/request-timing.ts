import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { SimulatedClock } from '../src/common/clock.js';
import { silentLogger } from '../src/common/logger.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import type { Daemon, SwitchRecord } from '../src/daemon/daemon.js';
import { loadVehicle } from '../src/signals/signal-map.js';
import { ScriptSource, type Leg } from '../test/helpers/drive-script.js';
import { benchConfig } from './pipeline-timing.js';
import { sendWithoutDelay } from '../src/mqtt/no-delay.js';
import type { Action } from '../src/mqtt/contract.js';
import type { Login } from './shipped-broker.js';

export interface RequestTiming {
  /** a select or release request published → state/personality with the new personality (read back) received (µs). */
  readonly mqttUs: number[];
  /** the same requests published → their answer received (µs): after the hold is on disk (the token's durability). */
  readonly mqttAnsweredUs: number[];
  /** Daemon.placeHold / releaseHold called → the switch applied and read back (µs). */
  readonly inProcessUs: number[];
}

/** The automatic choice while parked, and the personality the requests hold: they differ in every parameter. */
const AUTOMATIC = 'parked';
const HELD = 'highway';
/** Above the policy's minimum interval between switches (10 s), so no request is deferred. */
const LEG_SECONDS = 11;
export const REQUEST_ECU = 'bench';
const ECU = REQUEST_ECU;
/** The benchmark's `<client>`: its requests go to client/bench/request/<action>; on a broker with persona's ACL, its username. */
export const REQUEST_CLIENT = 'bench';
const CLIENT = REQUEST_CLIENT;
const REQUEST_TIMEOUT_MS = 30_000;

interface PersonalityState {
  drivers: Record<string, { personality: string } | undefined>;
}

/**
 * persona's request → applied-and-read-back, against a started daemon (real broker, the given
 * backend) parked on a scripted bus: a hold on HELD and its release, alternately over MQTT
 * and through the daemon's API. The bus is held still while a request is timed (the scripted
 * source waits for each leg's start), so only the request's own work is measured; CAN time
 * moves LEG_SECONDS between requests, on a simulated clock. The first `warmUpCycles` cycles
 * (none unless told) are not timed: a new daemon's first requests run its code cold.
 */
export async function timeRequests(options: {
  backend: 'simulated' | 'kmod';
  brokerUrl: string;
  cycles: number;
  warmUpCycles?: number;
  /** Logins on a broker that wants them (the shipped one): the daemon's and the benchmark client's, whose username is REQUEST_CLIENT. */
  login?: { daemon: Login; client: Login };
  onCycle?: (cycle: number) => void;
}): Promise<RequestTiming> {
  // The benchmark asks as fast as the daemon answers: a role of its own, without the rate limits of an app.
  const unlimited = { perSecond: 100_000, burst: 100_000 };
  const config = {
    ...benchConfig(options.backend, 1),
    ecuId: ECU,
    apiRoles: { bench: { actions: ['select', 'release', 'list'] as Action[], maxPriority: 1000, maxHolds: 16, requestsPerSecond: unlimited.perSecond, requestBurst: unlimited.burst } },
    apiClients: [{ client: CLIENT, role: 'bench' }],
  };
  const clock = new SimulatedClock();
  let switchWaiter: ((r: SwitchRecord) => void) | undefined;
  const client = await mqtt.connectAsync(options.brokerUrl, { protocolVersion: 5, reconnectPeriod: 0, clientId: `bench-${randomUUID().slice(0, 8)}`, ...(options.login?.client ?? {}) });
  // A head unit that cares about latency, like persona's own CLI.
  sendWithoutDelay(client);
  const responseTopic = `persona/${ECU}/client/${CLIENT}/response/bench`;
  const responses = new Map<string, (payload: { status: number; data?: { hold: string; token: string } }) => void>();
  let personalityWaiter: ((s: PersonalityState) => void) | undefined;
  client.on('message', (topic, payload, packet) => {
    if (topic === responseTopic) {
      const id = packet.properties?.correlationData?.toString() ?? '';
      responses.get(id)?.(JSON.parse(payload.toString()) as never);
      responses.delete(id);
    } else if (topic === `persona/${ECU}/state/personality`) {
      personalityWaiter?.(JSON.parse(payload.toString()) as PersonalityState);
    }
  });
  await client.subscribeAsync([responseTopic, `persona/${ECU}/state/personality`], { qos: 1 });

  /** Resolves with performance.now() when state/personality says `name`. */
  const personalityIs = (name: string): Promise<number> =>
    new Promise((resolve) => {
      personalityWaiter = (s) => {
        if (s.drivers.pvnic?.personality === name) resolve(performance.now());
      };
    });
  const request = (action: 'select' | 'release' | 'list', body: object, timeoutMs = REQUEST_TIMEOUT_MS): Promise<{ status: number; data?: { hold: string; token: string } }> => {
    const id = randomUUID();
    const answered = new Promise<{ status: number; data?: { hold: string; token: string } }>((resolve, reject) => {
      const timer = setTimeout(() => {
        responses.delete(id);
        reject(new Error(`no answer to request/${action} within ${timeoutMs} ms`));
      }, timeoutMs);
      responses.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    void client.publishAsync(`persona/${ECU}/client/${CLIENT}/request/${action}`, JSON.stringify(body), { qos: 1, properties: { responseTopic, correlationData: Buffer.from(id) } });
    return answered;
  };
  /** The daemon subscribes to requests after it has started: until it answers, a request would be lost. */
  const serving = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await request('list', {}, 200);
        return;
      } catch (err) {
        if (attempt === 150) throw err;
      }
    }
  };

  const mqttUs: number[] = [];
  const mqttAnsweredUs: number[] = [];
  const inProcessUs: number[] = [];
  const warmUpCycles = options.warmUpCycles ?? 0;
  let cycle = 0;
  /** Set once built: the steps that use it run only after. */
  const running: { daemon?: Daemon } = {};
  let held: { hold: string; token: string } | undefined;
  /** Times `act`, which resolves with the end of each figure it measures (performance.now()), in the order of `into`. */
  const timed = async (into: number[][], act: () => Promise<number[]>): Promise<void> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`a request was not applied within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS)));
    let ends: number[];
    try {
      ends = await Promise.race([act(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (cycle < warmUpCycles) return;
    into.forEach((samples, i) => samples.push(((ends[i] as number) - started) * 1000));
  };
  const at = <T>(p: Promise<T>): Promise<[T, number]> => p.then((v) => [v, performance.now()]);
  /** Resolves with performance.now() when the switch to `name` is applied and read back. */
  const switched = (name: string): Promise<number> =>
    new Promise((resolve) => {
      switchWaiter = (r) => {
        if (r.to === name) resolve(performance.now());
      };
    });
  const steps: Array<() => Promise<void>> = [
    () =>
      timed([mqttUs, mqttAnsweredUs], async () => {
        const applied = personalityIs(HELD);
        const [answer, answeredAt] = await at(request('select', { personality: HELD, holdSeconds: 3600 }));
        if (answer.status !== 200 || !answer.data) throw new Error(`select answered ${JSON.stringify(answer)}`);
        held = answer.data;
        return [await applied, answeredAt];
      }),
    () =>
      timed([mqttUs, mqttAnsweredUs], async () => {
        const applied = personalityIs(AUTOMATIC);
        const [answer, answeredAt] = await at(request('release', { hold: held?.hold, token: held?.token }));
        if (answer.status !== 200) throw new Error(`release answered ${JSON.stringify(answer)}`);
        return [await applied, answeredAt];
      }),
    () =>
      timed([inProcessUs], async () => {
        const applied = switched(HELD);
        const { hold, token } = (running.daemon as Daemon).placeHold({ owner: 'bench', driverId: 'pvnic', personality: HELD, priority: 10 }, { maxPerOwner: 1 });
        held = { hold: hold.id, token };
        return [await applied];
      }),
    () =>
      timed([inProcessUs], async () => {
        const applied = switched(AUTOMATIC);
        (running.daemon as Daemon).releaseHold(held?.hold ?? '', held?.token ?? '');
        return [await applied];
      }),
  ];
  // The first leg parks long enough for the start-up switches (safe, then parked, which the
  // minimum interval may defer) to be past the minimum interval.
  const legs: Leg[] = [{ seconds: 2 * LEG_SECONDS + 1, speedKmh: 0, gear: 126, onStart: serving }];
  for (let c = 0; c < warmUpCycles + options.cycles; c++) {
    steps.forEach((step, i) =>
      legs.push({
        seconds: LEG_SECONDS,
        onStart: async () => {
          cycle = c;
          await step();
          // The hold file of this request is written before the next request is timed (an answer
          // over MQTT waits for it already; a switch through the API does not): one request's
          // write does not hold back what the next one publishes.
          await (running.daemon as Daemon).settled();
          if (i === steps.length - 1 && c >= warmUpCycles) options.onCycle?.(c + 1 - warmUpCycles);
        },
      }),
    );
  }
  const source = new ScriptSource(loadVehicle(config.vehicle), legs, clock);
  const connection = options.login ? { connection: { username: options.login.daemon.username, password: options.login.daemon.password } } : {};
  const daemon = (await buildDaemon(config, { logger: silentLogger, clock, source, observer: { switched: (r) => switchWaiter?.(r) }, api: { rate: unlimited }, ...connection }))({ brokerUrl: options.brokerUrl });
  running.daemon = daemon;
  try {
    await daemon.start();
    await daemon.run();
  } finally {
    await daemon.stop();
    await client.endAsync();
  }
  return { mqttUs, mqttAnsweredUs, inProcessUs };
}

/**
 * What the broker's hops cost alone, without a daemon: a client sends a message to itself
 * through the broker and, once it is back, a second one. A request over MQTT makes as many hops
 * (client → broker → daemon → broker → client), each a process woken up. QoS 1, as the requests;
 * the first `warmUp` pairs are not timed. µs per pair.
 */
export async function timeBrokerHops(options: { brokerUrl: string; pairs: number; warmUp: number; login?: Login }): Promise<number[]> {
  const client = await mqtt.connectAsync(options.brokerUrl, { protocolVersion: 5, reconnectPeriod: 0, clientId: `bench-${randomUUID().slice(0, 8)}`, ...(options.login ?? {}) });
  sendWithoutDelay(client);
  // A topic the benchmark client may both write and read under persona's ACL; no daemon runs meanwhile.
  const topic = `persona/${ECU}/client/${CLIENT}/request/echo`;
  let arrived: (() => void) | undefined;
  client.on('message', () => arrived?.());
  await client.subscribeAsync(topic, { qos: 1 });
  const hop = (): Promise<void> =>
    new Promise((resolve) => {
      arrived = resolve;
      void client.publishAsync(topic, '{}', { qos: 1 });
    });
  const pairsUs: number[] = [];
  try {
    for (let i = 0; i < options.warmUp + options.pairs; i++) {
      const started = performance.now();
      await hop();
      await hop();
      if (i >= options.warmUp) pairsUs.push((performance.now() - started) * 1000);
    }
  } finally {
    await client.endAsync();
  }
  return pairsUs;
}
