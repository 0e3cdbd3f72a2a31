/* eslint-disable no-console -- the probe's result goes to stdout, where the kernel bench reads it */
/**
 * Runs inside the VM, as root, with persona.ko and persona_vnic.ko loaded: the pipeline latency
 * over the bundled drive and the request → applied-and-read-back latency, both with the kernel
 * backend and a Mosquitto started here, configured as the Yocto layer ships it. Progress goes
 * to stderr; the samples, as one JSON line, to stdout.
 * Usage: node kernel-probe.js [kmod|simulated] [speed] [passes] [request cycles] [request cycles not timed]
 */
import { timePipeline } from './pipeline-timing.js';
import { REQUEST_CLIENT, REQUEST_ECU, timeRequests } from './request-timing.js';
import { startShippedBroker } from './shipped-broker.js';

const backend = process.argv[2] === 'simulated' ? 'simulated' : 'kmod';
const [speed, passes, cycles, warmUpCycles] = [Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 3), Number(process.argv[5] ?? 25), Number(process.argv[6] ?? 0)];
const { broker, daemon, client, settings } = await startShippedBroker(REQUEST_ECU, REQUEST_CLIENT);
try {
  const pipeline = await timePipeline({ backend, speed, passes, brokerUrl: broker.url, login: daemon, onPass: (pass) => console.error(`pipeline pass ${pass}/${passes}`) });
  const requests = await timeRequests({ backend, brokerUrl: broker.url, cycles, warmUpCycles, login: { daemon, client }, onCycle: (cycle) => console.error(`request cycle ${cycle}/${cycles}`) });
  const { frameToDecisionUs, decisionToAppliedUs, frameToAppliedUs, frames } = pipeline;
  console.log(JSON.stringify({ backend, speed, passes, frames, frameToDecisionUs, decisionToAppliedUs, frameToAppliedUs, requests, broker: settings }));
} finally {
  await broker.stop();
}
