/* eslint-disable no-console -- the probe's result goes to stdout, where the kernel bench reads it */
/**
 * Runs inside the VM, as root, with persona.ko and persona_vnic.ko loaded: the pipeline latency
 * over the bundled drive and the request → applied-and-read-back latency, both with the kernel
 * backend and a Mosquitto started here. Progress goes to stderr; the samples, as one JSON line,
 * to stdout.
 * Usage: node kernel-probe.js [kmod|simulated] [speed] [passes] [request cycles]
 */
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { timePipeline } from './pipeline-timing.js';
import { timeRequests } from './request-timing.js';

const backend = process.argv[2] === 'simulated' ? 'simulated' : 'kmod';
const [speed, passes, cycles] = [Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 3), Number(process.argv[5] ?? 25)];
const broker = await startMosquitto();
try {
  const pipeline = await timePipeline({ backend, speed, passes, brokerUrl: broker.url, onPass: (pass) => console.error(`pipeline pass ${pass}/${passes}`) });
  const requests = await timeRequests({ backend, brokerUrl: broker.url, cycles, onCycle: (cycle) => console.error(`request cycle ${cycle}/${cycles}`) });
  const { frameToDecisionUs, decisionToAppliedUs, frameToAppliedUs, frames } = pipeline;
  console.log(JSON.stringify({ backend, speed, passes, frames, frameToDecisionUs, decisionToAppliedUs, frameToAppliedUs, requests }));
} finally {
  await broker.stop();
}
