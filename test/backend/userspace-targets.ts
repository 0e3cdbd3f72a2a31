/**
 * The drivers the userspace backends' conformance runs drive: pvnic through ethtool and loop
 * block devices through sysfs, as their mappings in manifests/drivers/ declare them.
 */
import type { DriverInfo } from '../../src/backend/driver-backend.js';
import { sameValue } from '../../src/backend/parameter-check.js';
import { parseEthtoolMapping, type EthtoolMapping } from '../../src/backend/ethtool-mapping.js';
import { parseSysfsMapping, type SysfsMapping } from '../../src/backend/sysfs-mapping.js';
import { pvnicTarget, type ConformanceTarget } from './backend-conformance.js';
import ethtoolPvnic from '../../manifests/drivers/pvnic/ethtool.json' with { type: 'json' };
import sysfsLoop from '../../manifests/drivers/loop/sysfs.json' with { type: 'json' };

export const pvnicEthtoolMapping: EthtoolMapping = parseEthtoolMapping(ethtoolPvnic, 'manifests/drivers/pvnic/ethtool.json');
export const loopSysfsMapping: SysfsMapping = parseSysfsMapping(sysfsLoop, 'manifests/drivers/loop/sysfs.json');

/** Without power_saving_mode, which ethtool cannot reach. */
function withoutPower<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => name !== 'power_saving_mode'));
}

/** pvnic through ethtool: as the kernel module declares it, less power_saving_mode, which ethtool cannot reach. */
export const pvnicEthtoolTarget: ConformanceTarget = {
  driver: { ...pvnicTarget.driver, version: '1.0.0', parameters: withoutPower(pvnicTarget.driver.parameters) },
  otherThan: (current) => withoutPower(pvnicTarget.otherThan({ ...current, power_saving_mode: 'balanced' })),
  refusals: (next) => [
    ...pvnicTarget.refusals(next).filter(([, , error]) => error.path !== 'pvnic/power_saving_mode'),
    [{ ...next, interrupt_coalescence_time: 1500 }, undefined, { code: 'E_RANGE', path: 'pvnic/interrupt_coalescence_time' }],
    [{ ...next, power_saving_mode: 'balanced' }, undefined, { code: 'E_PARAMETER', path: 'pvnic/power_saving_mode' }],
  ],
  step: pvnicTarget.step,
};

const SCHEDULERS = ['mq-deadline', 'none'];

/** Two loop block devices through their queue's sysfs files. */
export const loopSysfsTarget: ConformanceTarget = {
  driver: {
    id: 'loop',
    resources: ['loop0', 'loop1'],
    parameters: {
      read_ahead: { type: 'integer', unit: 'B', min: 0, max: 16_777_216, applyClass: 'runtime' },
      merges: { type: 'integer', unit: '', min: 0, max: 2, applyClass: 'runtime' },
      io_scheduler: { type: 'enum', values: SCHEDULERS, applyClass: 'runtime' },
    } satisfies DriverInfo['parameters'],
  },
  otherThan: (current) => ({
    read_ahead: current.read_ahead === 262_144 ? 524_288 : 262_144,
    merges: ((current.merges as number) + 1) % 3,
    io_scheduler: sameValue(current.io_scheduler, 'none') ? 'mq-deadline' : 'none',
  }),
  refusals: (next) => [
    [{ ...next, read_ahead: 1000 }, undefined, { code: 'E_RANGE', path: 'loop/read_ahead' }],
    [{ ...next, read_ahead: 16_778_240 }, undefined, { code: 'E_RANGE', path: 'loop/read_ahead' }],
    [{ ...next, merges: 3 }, undefined, { code: 'E_RANGE', path: 'loop/merges' }],
    [{ ...next, merges: -1 }, undefined, { code: 'E_RANGE', path: 'loop/merges' }],
    [{ ...next, merges: 1.5 }, undefined, { code: 'E_RANGE' }],
    [{ ...next, io_scheduler: 'bfq' }, undefined, { code: 'E_RANGE', path: 'loop/io_scheduler' }],
    [{ ...next, io_scheduler: ['none'] }, undefined, { code: 'E_RANGE', path: 'loop/io_scheduler' }],
    [{ ...next, nr_requests: 64 }, undefined, { code: 'E_PARAMETER', path: 'loop/nr_requests' }],
    [next, ['loop0', 'loop7'], { code: 'E_RESOURCE', path: 'loop/loop7' }],
  ],
  step: { name: 'read_ahead', by: 4096, drift: [1_048_576, 2_097_152] },
};
