import t from 'tap';
import { SimulatedBackend, type SimulatedDriver } from '../../src/backend/simulated-backend.js';
import pvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import { backendConformance } from './backend-conformance.js';

backendConformance(t, () => {
  const backend = new SimulatedBackend([pvnic as unknown as SimulatedDriver]);
  return Promise.resolve({
    backend,
    failNthWrite: (nth: number) => Promise.resolve(backend.failNthWrite(nth)),
    driftStep: (resource: string, ns: number) => Promise.resolve(backend.drift('pvnic', resource, { interrupt_coalescence_time: ns })),
    close: () => Promise.resolve(),
  });
});
