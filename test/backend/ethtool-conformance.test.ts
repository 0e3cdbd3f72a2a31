import t from 'tap';
import { EthtoolBackend } from '../../src/backend/ethtool-backend.js';
import { backendConformance } from './backend-conformance.js';
import { FakeEthtool } from './fake-ethtool.js';
import { pvnicEthtoolMapping, pvnicEthtoolTarget } from './userspace-targets.js';

backendConformance(
  t,
  () => {
    const ethtool = new FakeEthtool();
    const backend = new EthtoolBackend([pvnicEthtoolMapping], { ethtool: ethtool.run, pollMs: 20 });
    return Promise.resolve({
      backend,
      failNthWrite: (nth: number) => Promise.resolve(ethtool.failNthWrite(nth)),
      driftStep: (resource: string, ns: number) => Promise.resolve(void (ethtool.ports.get(resource)!.rxUsecs = ns / 1000)),
      close: () => backend.stop(),
    });
  },
  pvnicEthtoolTarget,
);
