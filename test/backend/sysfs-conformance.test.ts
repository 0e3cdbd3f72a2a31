import t from 'tap';
import { SysfsBackend } from '../../src/backend/sysfs-backend.js';
import { backendConformance } from './backend-conformance.js';
import { FakeSysfs, loopTree } from './fake-sysfs.js';
import { loopSysfsMapping, loopSysfsTarget } from './userspace-targets.js';

backendConformance(
  t,
  () => {
    const sysfs = new FakeSysfs();
    loopTree(sysfs);
    const backend = new SysfsBackend([loopSysfsMapping], { files: sysfs, root: sysfs.root, pollMs: 20 });
    return Promise.resolve({
      backend,
      failNthWrite: (nth: number) => Promise.resolve(sysfs.failNthWrite(nth)),
      driftStep: (resource: string, bytes: number) => Promise.resolve(sysfs.writeBehind(`/sys/block/${resource}/queue/read_ahead_kb`, String(bytes / 1024))),
      close: async () => {
        await backend.stop();
        sysfs.remove();
      },
    });
  },
  loopSysfsTarget,
);
