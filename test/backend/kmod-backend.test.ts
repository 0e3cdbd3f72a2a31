import t from 'tap';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { KmodBackend } from '../../src/backend/kmod-backend.js';
import { openPersonaDevice } from '../../src/backend/addon-persona.js';
import { decodeValue, encodeValue, specOf } from '../../src/backend/kmod-codec.js';
import { KmodError, kmodApplyError } from '../../src/backend/kmod-error.js';
import type { KernelParam } from '../../src/backend/addon-persona.js';

// The kernel side runs in the VM (test/vm/kmod.test.ts); here: the addon on a host without persona.ko.
void t.test('the addon loads; opening a device that is not there fails with ENOENT', async (t) => {
  const missing = join(tmpdir(), 'no-such-persona-device');
  t.throws(() => openPersonaDevice(missing), { code: 'ENOENT', errno: 2, syscall: `open ${missing}` });
  t.throws(() => KmodBackend.open({ devicePath: missing }), { code: 'ENOENT' });
});

void t.test('a device that is not persona answers ENOTTY, and the backend does not open', async (t) => {
  const device = openPersonaDevice('/dev/null');
  t.throws(() => device.version(), { code: 'ENOTTY', syscall: 'PERSONA_IOC_VERSION' });
  device.close();
  device.close();
  t.throws(() => device.list(), { code: 'EBADF' }, 'closed');
  t.throws(() => KmodBackend.open({ devicePath: '/dev/null' }), { code: 'ENOTTY' });
});

const integer: KernelParam = { name: 'DMA_buffer_size', type: 'integer', unit: 'B', applyClass: 'disruptive', min: 4096n, max: 4_194_304n, members: [] };
const power: KernelParam = { name: 'power_saving_mode', type: 'enum', unit: '', applyClass: 'runtime', min: 0n, max: 2n, members: ['disabled', 'balanced', 'aggressive'] };
const features: KernelParam = { name: 'feature_set', type: 'set', unit: '', applyClass: 'runtime', min: 0n, max: 0x3fn, members: ['gro', 'lro', 'rx_checksum', 'sg', 'tso', 'tx_checksum'] };

void t.test('values cross to the kernel and back: integers, enum indices, set masks', async (t) => {
  t.same(specOf(integer), { type: 'integer', unit: 'B', min: 4096, max: 4_194_304, applyClass: 'disruptive' });
  t.same(specOf(power), { type: 'enum', values: ['disabled', 'balanced', 'aggressive'], applyClass: 'runtime' });
  t.same(specOf(features), { type: 'set', values: features.members, applyClass: 'runtime' });
  t.equal(encodeValue(integer, 65536), 65536n);
  t.equal(encodeValue(power, 'aggressive'), 2n);
  t.equal(encodeValue(features, ['tso', 'gro', 'rx_checksum']), 0b10101n);
  t.same(decodeValue(features, 0b10101n), ['gro', 'rx_checksum', 'tso'], 'sets come back sorted');
  t.equal(decodeValue(power, 1n), 'balanced');
  t.throws(() => decodeValue(power, 3n), RangeError);
  t.throws(() => decodeValue(integer, 1n << 60n), RangeError, 'beyond a safe integer');
});

void t.test("the kernel's errors become the backend's, naming the parameter", async (t) => {
  const kernelError = (code: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(code), { code, errno: 5, syscall: 'PERSONA_IOC_APPLY', ...extra });
  const names = ['interrupt_coalescence_time', 'DMA_buffer_size'];
  const cases: Array<[Error, Partial<KmodError>]> = [
    [kernelError('EIO', { index: 1, rolledBack: true }), { code: 'E_DRIVER', path: 'pvnic/DMA_buffer_size', errno: 'EIO', rollbackFailed: false }],
    [kernelError('EIO', { index: 0, rolledBack: true, rollbackFailed: true }), { code: 'E_DRIVER', path: 'pvnic/interrupt_coalescence_time', rollbackFailed: true }],
    [kernelError('ERANGE', { index: 1 }), { code: 'E_RANGE', path: 'pvnic/DMA_buffer_size' }],
    [kernelError('EINVAL', { index: 0 }), { code: 'E_PARAMETER', path: 'pvnic/interrupt_coalescence_time' }],
    [kernelError('ENODEV'), { code: 'E_DRIVER', path: 'pvnic', errno: 'ENODEV' }],
    [kernelError('ESTALE'), { code: 'E_DRIVER', path: 'pvnic', errno: 'ESTALE' }],
    [kernelError('EFAULT'), { code: 'E_DRIVER', path: 'pvnic', errno: 'EFAULT' }],
  ];
  for (const [err, want] of cases) t.match(kmodApplyError(err, 'pvnic', names), want, err.message);
  t.match(kmodApplyError(kmodApplyError(kernelError('EIO', { index: 1 }), 'pvnic', names), 'pvnic', names), { code: 'E_DRIVER' }, 'a backend error passes through');
  const plain = new TypeError('not the kernel');
  t.equal(kmodApplyError(plain, 'pvnic', names), plain);
});
