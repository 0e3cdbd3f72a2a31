/* eslint-disable no-console -- the benchmark's report */
/**
 * persona's request → applied-and-read-back on the host (simulated backend: this host cannot
 * load the module; real Mosquitto), side by side with TuneD on the host, natively: TuneD and a
 * private D-Bus system bus in a mount and network namespace of their own (`unshare -mn`), so its
 * configuration and the four per-namespace sysctls it switches are private to the benchmark.
 *
 * The broker is configured as the Yocto layer ships it (bench/shipped-broker.ts); the reference
 * is the same on Mosquitto's default configuration. The two take turns in one run, in ABBA
 * order, each turn a new daemon whose first WARM_UP_CYCLES cycles are not timed, until each
 * side has MIN_SAMPLES requests timed over MQTT.
 *
 *   npm run bench:requests
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/common/package-root.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import type { BenchEntry } from './bench-entry.js';
import { runWhenMain } from './bench-main.js';
import { progress } from './bench-progress.js';
import { REQUEST_CLIENT, REQUEST_ECU, timeBrokerHops, timeRequests, type RequestTiming } from './request-timing.js';
import { BROKER_FRAGMENT, startShippedBroker } from './shipped-broker.js';
import { median, percentile } from './timing.js';
import { tunedMissing, tunedSessionScript, type TunedResult } from './tuned-session.js';

/** Requests timed on each side at least, over MQTT and through the API alike: the p99 of 200 is their third largest, not their maximum. */
const MIN_SAMPLES = Number(process.env.PERSONA_BENCH_REQUEST_SAMPLES ?? 200);
/** Each cycle: a select and a release over MQTT, a hold and a release through the API. */
const CYCLES_PER_TURN = 25;
const WARM_UP_CYCLES = 5;
/** Turns on each side at most. */
const MAX_TURNS = 20;
const TUNED_SWITCHES = Number(process.env.PERSONA_BENCH_TUNED_SWITCHES ?? 200);
const TUNED_WARM_UP = 5;
export const TARGET_MQTT_P99_US = 2000;
export const TARGET_API_P99_US = 500;
const WHERE = 'host, simulated backend';

/** TuneD's switch times on this host, or why it cannot run here. */
function tunedOnHost(): TunedResult | string {
  const missing = tunedMissing();
  if (missing !== undefined) return missing;
  const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', tunedSessionScript(join(packageRoot(), 'bench'), { switches: TUNED_SWITCHES, warmUp: TUNED_WARM_UP })], { encoding: 'utf8', timeout: 600_000 });
  if (r.error) return `TuneD row skipped: unshare could not run (${r.error.message})`;
  if (r.status !== 0) return `TuneD row skipped: TuneD could not run in a private mount and network namespace here (exit ${r.status}): ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}`;
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as TunedResult;
  if (result.failed > 0) return `TuneD row skipped: ${result.failed} of its profile switches failed`;
  return result;
}

interface Side {
  readonly name: string;
  readonly samples: { mqttUs: number[]; mqttAnsweredUs: number[]; inProcessUs: number[] };
  time(): Promise<RequestTiming>;
}

const samplesNote = (n: number, ref?: number): string => `${n} samples${ref === undefined ? '' : `, the reference ${ref}`}; the first ${WARM_UP_CYCLES} cycles of each turn not timed`;
const msText = (us: number): string => `${(us / 1000).toFixed(2)} ms`;

export async function run(): Promise<BenchEntry[]> {
  const shipped = await startShippedBroker(REQUEST_ECU, REQUEST_CLIENT);
  const plain = await startMosquitto();
  try {
    const sides: Side[] = [
      {
        name: 'the shipped broker',
        samples: { mqttUs: [], mqttAnsweredUs: [], inProcessUs: [] },
        time: () => timeRequests({ backend: 'simulated', brokerUrl: shipped.broker.url, cycles: CYCLES_PER_TURN, warmUpCycles: WARM_UP_CYCLES, login: { daemon: shipped.daemon, client: shipped.client } }),
      },
      {
        name: "Mosquitto's default configuration",
        samples: { mqttUs: [], mqttAnsweredUs: [], inProcessUs: [] },
        time: () => timeRequests({ backend: 'simulated', brokerUrl: plain.url, cycles: CYCLES_PER_TURN, warmUpCycles: WARM_UP_CYCLES }),
      },
    ];
    const [yocto, nagle] = sides as [Side, Side];
    /** The shipped broker's hops alone, timed after each of its turns: the floor under a request over MQTT on this machine. */
    const hopsUs: number[] = [];
    progress(`requests on the host: ${sides.map((s) => s.name).join(' and ')} in turns of ${WARM_UP_CYCLES} + ${CYCLES_PER_TURN} cycles (select/release over MQTT, hold/release through the API), until each has ${MIN_SAMPLES} requests timed`);
    progress(`  the shipped broker (${BROKER_FRAGMENT}): ${shipped.settings.join('; ')}`);
    const loadBefore = loadavg()[0] as number;
    for (let turn = 0; turn < MAX_TURNS && sides.some((s) => s.samples.mqttUs.length < MIN_SAMPLES || s.samples.inProcessUs.length < MIN_SAMPLES); turn++) {
      for (const side of turn % 2 === 0 ? [yocto, nagle] : [nagle, yocto]) {
        const timing = await side.time();
        side.samples.mqttUs.push(...timing.mqttUs);
        side.samples.mqttAnsweredUs.push(...timing.mqttAnsweredUs);
        side.samples.inProcessUs.push(...timing.inProcessUs);
        progress(`  turn ${turn + 1}, ${side.name}: MQTT p50 ${msText(percentile(timing.mqttUs, 0.5))}, API p50 ${msText(percentile(timing.inProcessUs, 0.5))}; ${side.samples.mqttUs.length} requests timed in all`);
        if (side === yocto) hopsUs.push(...(await timeBrokerHops({ brokerUrl: shipped.broker.url, pairs: 2 * CYCLES_PER_TURN, warmUp: 2 * WARM_UP_CYCLES, login: shipped.client })));
      }
    }
    const load = `load average ${loadBefore.toFixed(1)} → ${(loadavg()[0] as number).toFixed(1)} on ${availableParallelism()} cores during the turns`;
    progress(`TuneD on the host: ${TUNED_WARM_UP} + ${TUNED_SWITCHES} profile switches over a private D-Bus system bus`);
    const tuned = tunedOnHost();
    const { mqttUs, mqttAnsweredUs, inProcessUs } = yocto.samples;
    const apiP99 = percentile(inProcessUs, 0.99);
    const mqttP99 = percentile(mqttUs, 0.99);
    const shippedNote = `on Mosquitto as the Yocto layer ships it (${BROKER_FRAGMENT}: passwords, persona's ACL, set_tcp_nodelay true)`;
    const nagleReference = "the same on Mosquitto's default configuration (Nagle on the broker's sockets), in turns with it";
    const hopsP99 = percentile(hopsUs, 0.99);
    const [mqttP50, hopsP50, apiP50] = [percentile(mqttUs, 0.5), percentile(hopsUs, 0.5), percentile(inProcessUs, 0.5)];
    /** What a request over MQTT takes at the median beyond the broker's hops and persona's apply through the API: the MQTT side of persona (parsing, checking, serialising, publishing) and of the client. */
    const mqttSideUs = mqttP50 - hopsP50 - apiP50;
    const parts = `the broker's hops alone (a client's two messages to itself through the same broker, no daemon, as many hops as a request, each a process woken up) take p50 ${msText(hopsP50)}, p99 ${msText(hopsP99)} (${hopsUs.length} pairs, after each turn); persona's apply through the API p50 ${msText(apiP50)}, p99 ${msText(apiP99)}; the rest, at the median ${msText(mqttSideUs)}, is the MQTT side of persona and of the client`;
    const limit =
      mqttP99 <= TARGET_MQTT_P99_US
        ? ''
        : hopsP99 > TARGET_MQTT_P99_US
          ? `; limited by this machine's load (${load}) on the broker's hops, whose p99 alone is over the target, and by persona's MQTT side: ${parts}`
          : `; limited by persona: ${parts}`;
    const slowApi = inProcessUs.filter((us) => us > TARGET_API_P99_US).length;
    const apiLimit = apiP99 <= TARGET_API_P99_US ? '' : `; ${slowApi} of ${inProcessUs.length} over ${TARGET_API_P99_US / 1000} ms, the median ${msText(apiP50)}: limited by this machine's load (${load}), which holds up a process for milliseconds at a time`;
    const entries: BenchEntry[] = [
      { name: `request → applied & read back p50, daemon API (${WHERE})`, value: percentile(inProcessUs, 0.5), unit: 'µs', reference: null, referenceValue: null, target: null, met: null, note: samplesNote(inProcessUs.length) },
      {
        name: `request → applied & read back p99, daemon API (${WHERE})`,
        value: apiP99,
        unit: 'µs',
        reference: null,
        referenceValue: null,
        target: `≤ ${TARGET_API_P99_US / 1000} ms`,
        met: apiP99 <= TARGET_API_P99_US,
        note: `${samplesNote(inProcessUs.length)}: placeHold/releaseHold → switch applied and read back${apiLimit}`,
      },
      {
        name: `request → applied & read back p50, MQTT (${WHERE})`,
        value: percentile(mqttUs, 0.5),
        unit: 'µs',
        reference: nagleReference,
        referenceValue: percentile(nagle.samples.mqttUs, 0.5),
        target: null,
        met: null,
        note: `${samplesNote(mqttUs.length, nagle.samples.mqttUs.length)}; ${shippedNote}`,
      },
      {
        name: `request → applied & read back p99, MQTT (${WHERE})`,
        value: mqttP99,
        unit: 'µs',
        reference: nagleReference,
        referenceValue: percentile(nagle.samples.mqttUs, 0.99),
        target: `≤ ${TARGET_MQTT_P99_US / 1000} ms`,
        met: mqttP99 <= TARGET_MQTT_P99_US,
        note: `${samplesNote(mqttUs.length, nagle.samples.mqttUs.length)}: request/select or request/release published → state/personality with the values read back received; ${shippedNote}${limit}`,
      },
      {
        name: `broker hops alone p50, MQTT (${WHERE})`,
        value: percentile(hopsUs, 0.5),
        unit: 'µs',
        reference: null,
        referenceValue: null,
        target: null,
        met: null,
        note: `${hopsUs.length} pairs: a client sends a message to itself through the shipped broker and, once back, a second one (QoS 1), no daemon running; after each of the broker's turns, the first ${2 * WARM_UP_CYCLES} not timed`,
      },
      { name: `broker hops alone p99, MQTT (${WHERE})`, value: hopsP99, unit: 'µs', reference: null, referenceValue: null, target: null, met: null, note: `${hopsUs.length} pairs` },
      {
        name: `request → answered p50, MQTT (${WHERE})`,
        value: percentile(mqttAnsweredUs, 0.5),
        unit: 'µs',
        reference: null,
        referenceValue: null,
        target: null,
        met: null,
        note: `${samplesNote(mqttAnsweredUs.length)}: the same requests → their answer, which waits for the hold to be on disk (written and flushed)`,
      },
      { name: `request → answered p99, MQTT (${WHERE})`, value: percentile(mqttAnsweredUs, 0.99), unit: 'µs', reference: null, referenceValue: null, target: null, met: null, note: samplesNote(mqttAnsweredUs.length) },
    ];
    if (typeof tuned === 'string') {
      progress(tuned);
      entries.push({ name: 'speed-up over TuneD on the host', value: Number.NaN, unit: '', reference: null, referenceValue: null, target: null, met: null, note: `skipped: ${tuned}` });
    } else {
      const tunedMedianUs = median(tuned.switchMs) * 1000;
      const reference = 'TuneD 2.20 switch_profile over D-Bus → sysctls set, host, two 4-sysctl profiles (median ms)';
      const tunedNote = `TuneD: median ${msText(tunedMedianUs)}, p99 ${msText(percentile(tuned.switchMs, 0.99) * 1000)} over ${tuned.switchMs.length} switches of 4 sysctls after ${TUNED_WARM_UP} not timed, after persona's turns`;
      entries.push(
        { name: `speed-up over TuneD: request → applied, MQTT vs D-Bus (${WHERE})`, value: tunedMedianUs / median(mqttUs), unit: '×', reference, referenceValue: tunedMedianUs / 1000, target: null, met: null, note: `${tunedNote}; persona over MQTT: median ${msText(median(mqttUs))}` },
        { name: `speed-up over TuneD: request → applied, daemon API vs D-Bus (${WHERE})`, value: tunedMedianUs / median(inProcessUs), unit: '×', reference, referenceValue: tunedMedianUs / 1000, target: null, met: null, note: `${tunedNote}; persona's API: median ${msText(median(inProcessUs))}` },
      );
    }
    for (const e of entries) console.log(`  ${e.name}: ${e.value.toFixed(2)} ${e.unit}${e.referenceValue !== null ? `, reference ${e.referenceValue.toFixed(2)}` : ''}${e.target ? ` (target ${e.target}: ${e.met ? 'met' : 'MISSED'})` : ''}${e.note ? ` (${e.note})` : ''}`);
    return entries;
  } finally {
    await Promise.all([shipped.broker.stop(), plain.stop()]);
  }
}

await runWhenMain(import.meta.url, run);
