import t, { type Test } from 'tap';
import { EthtoolBackend } from '../../src/backend/ethtool-backend.js';
import { coalesceField, features, privateFlags, ringField } from '../../src/backend/ethtool-command.js';
import { parseEthtoolMapping } from '../../src/backend/ethtool-mapping.js';
import { FakeEthtool } from './fake-ethtool.js';
import { pvnicEthtoolMapping } from './userspace-targets.js';

const INITIAL = { interrupt_coalescence_time: 2_000_000, DMA_buffer_size: 65536, feature_set: ['rx_checksum'] };
const NEXT = { interrupt_coalescence_time: 1_000_000, DMA_buffer_size: 16_384, feature_set: ['gro', 'tso'] };

function make(t: Test) {
  const ethtool = new FakeEthtool();
  const backend = new EthtoolBackend([pvnicEthtoolMapping], { ethtool: ethtool.run, pollMs: 0 });
  t.teardown(() => backend.stop());
  ethtool.log.length = 0;
  return { ethtool, backend };
}

const changing = (log: readonly string[]) => log.filter((c) => /^(-C|-G|--set-priv-flags|-K) /.test(c));

void t.test('reports itself as ethtool, with the driver version ethtool -i gives, and reads in persona units', async (t) => {
  const { backend } = make(t);
  t.equal(backend.kind, 'ethtool');
  t.equal(backend.drivers()[0]?.version, '1.0.0');
  t.same(backend.read('pvnic', 'pvnic1'), INITIAL, 'rx-usecs 2000 is 2,000,000 ns');
});

void t.test('a set is written whole and compared sorted, in whatever order it was given', async (t) => {
  const { ethtool, backend } = make(t);
  const r = await backend.apply('pvnic', { feature_set: ['tso', 'gro'] }, ['pvnic0']);
  t.same(r.changes, [{ resource: 'pvnic0', name: 'feature_set', from: ['rx_checksum'], to: ['gro', 'tso'] }]);
  t.same(changing(ethtool.log), ['--set-priv-flags pvnic0 gro on lro off rx_checksum off sg off tso on tx_checksum off']);
  t.same((await backend.apply('pvnic', { feature_set: ['tso', 'gro'] }, ['pvnic0'])).changes, [], 'the same set in another order changes nothing');
});

void t.test('a command failing midway restores the earlier ones in reverse order', async (t) => {
  const { ethtool, backend } = make(t);
  ethtool.failNthWrite(5);
  await t.rejects(backend.apply('pvnic', NEXT), {
    code: 'E_DRIVER',
    path: 'pvnic/DMA_buffer_size',
    message: /^pvnic\/DMA_buffer_size: ethtool -G pvnic1 rx-buf-len: ethtool -G pvnic1 rx-buf-len 16384 failed \(exit 1\): netlink error: Input\/output error; every value was restored$/,
  });
  t.same(changing(ethtool.log), [
    '-C pvnic0 rx-usecs 1000',
    '-G pvnic0 rx-buf-len 16384',
    '--set-priv-flags pvnic0 gro on lro off rx_checksum off sg off tso on tx_checksum off',
    '-C pvnic1 rx-usecs 1000',
    '-G pvnic1 rx-buf-len 16384',
    '-C pvnic1 rx-usecs 2000',
    '--set-priv-flags pvnic0 gro off lro off rx_checksum on sg off tso off tx_checksum off',
    '-G pvnic0 rx-buf-len 65536',
    '-C pvnic0 rx-usecs 2000',
  ]);
  t.same([backend.read('pvnic', 'pvnic0'), backend.read('pvnic', 'pvnic1')], [INITIAL, INITIAL]);
});

void t.test('a restore that fails is reported as E_PARTIAL, naming the command', async (t) => {
  const { ethtool, backend } = make(t);
  let writes = 0;
  ethtool.failWhen = (args) => {
    if (!['-C', '-G', '--set-priv-flags'].includes(args[0]!)) return undefined;
    writes++;
    if (writes === 2) return 'netlink error: Device or resource busy';
    if (writes === 3) return 'netlink error: Operation not permitted';
    return undefined;
  };
  await t.rejects(backend.apply('pvnic', NEXT, ['pvnic0']), {
    code: 'E_PARTIAL',
    path: 'pvnic/DMA_buffer_size',
    message: /rx-buf-len 16384 failed \(exit 1\): netlink error: Device or resource busy; restoring failed, so these are left changed: interrupt_coalescence_time at ethtool -C pvnic0 rx-usecs: .*Operation not permitted$/,
    unrestored: [/^interrupt_coalescence_time at ethtool -C pvnic0 rx-usecs: ethtool -C pvnic0 rx-usecs 2000 failed/],
  });
  t.same(backend.read('pvnic', 'pvnic0'), { ...INITIAL, interrupt_coalescence_time: 1_000_000 }, 'coalescing stays as written');
});

void t.test('a value the driver rounds is a failure, and rolled back', async (t) => {
  const { ethtool, backend } = make(t);
  ethtool.keepUsecs = (usecs) => Math.round(usecs / 8) * 8;
  await t.rejects(backend.apply('pvnic', { DMA_buffer_size: 16_384, interrupt_coalescence_time: 1_001_000 }, ['pvnic0']), {
    code: 'E_DRIVER',
    path: 'pvnic/interrupt_coalescence_time',
    message: /reads back 1000000 after 1001000 was written; every value was restored/,
  });
  t.same(changing(ethtool.log), ['-C pvnic0 rx-usecs 1001', '-C pvnic0 rx-usecs 2000'], 'DMA, mapped after coalescing, never written');
  t.same(backend.read('pvnic', 'pvnic0'), INITIAL);
});

void t.test('values are checked against the mapping before any command runs', async (t) => {
  const { ethtool, backend } = make(t);
  await t.rejects(backend.apply('pvnic', { DMA_buffer_size: 16_384, interrupt_coalescence_time: 1500 }), {
    code: 'E_RANGE',
    message: "pvnic/interrupt_coalescence_time: 1500 is not a whole number of ethtool -C <if> rx-usecs's steps of 1000",
  });
  await t.rejects(backend.apply('pvnic', { power_saving_mode: 'balanced' }), { code: 'E_PARAMETER', path: 'pvnic/power_saving_mode' });
  t.same(ethtool.log, [], 'ethtool never ran');
});

void t.test('a device ethtool does not know fails the backend at open, naming the command', async (t) => {
  t.throws(() => new EthtoolBackend([pvnicEthtoolMapping], { ethtool: new FakeEthtool([]).run, pollMs: 0 }), {
    code: 'E_DRIVER',
    path: 'pvnic/pvnic0',
    message: /cannot read the driver's version: ethtool -i pvnic0 failed \(exit 1\): netlink error: no device matches name/,
  });
  const ethtool = new FakeEthtool(['pvnic0']);
  t.throws(() => new EthtoolBackend([pvnicEthtoolMapping], { ethtool: ethtool.run, pollMs: 0 }), {
    code: 'E_DRIVER',
    path: 'pvnic/interrupt_coalescence_time',
    message: /ethtool -C pvnic1 rx-usecs: cannot read: ethtool -c pvnic1 failed \(exit 1\): netlink error: no device matches name/,
  });
});

void t.test("ethtool's output: fields a driver does not report are errors naming them", async (t) => {
  t.equal(coalesceField('Coalesce parameters for eth0:\nrx-usecs: 250\n', 'rx-usecs', 'x'), 250);
  t.throws(() => coalesceField('rx-usecs: n/a\n', 'rx-usecs', 'ethtool -C eth0 rx-usecs'), { message: 'ethtool -C eth0 rx-usecs reads "n/a", not a whole number' });
  t.throws(() => coalesceField('tx-usecs: 5\n', 'rx-usecs', 'ethtool -C eth0 rx-usecs'), { message: 'ethtool -C eth0 rx-usecs is not reported' });
  const ring = 'Ring parameters for eth0:\nPre-set maximums:\nRX:\t\t4096\nTX:\t\t4096\nCurrent hardware settings:\nRX:\t\t512\nTX:\t\t256\n';
  t.equal(ringField(ring, 'rx', 'x'), 512, 'the current setting, not the maximum');
  t.equal(ringField(ring, 'tx', 'x'), 256);
  t.throws(() => ringField(ring, 'rx-buf-len', 'ethtool -G eth0 rx-buf-len'), { message: 'ethtool -G eth0 rx-buf-len is not reported' });
  t.throws(() => ringField('Pre-set maximums:\nRX: 1\n', 'rx', 'ethtool -G eth0 rx'), { message: 'ethtool -G eth0 rx: ethtool reports no current ring settings' });
  t.same([...privateFlags('Private flags for eth0:\nlegacy-rx  : on\ntx_checksum: off\n')], [['legacy-rx', true], ['tx_checksum', false]]);
});

void t.test('a bad ethtool mapping lists every problem with its path', async (t) => {
  const parameters = {
    a: { setting: 'ring', field: 'rx-huge', type: 'integer', unit: 'B', min: 0, max: 1, apply: 'runtime', order: 1 },
    b: { setting: 'coalesce', field: 'rx-usecs', type: 'integer', unit: 'ns', scale: 1000, min: 500, max: 1000, apply: 'runtime', order: 2 },
    c: { setting: 'priv-flags', type: 'set', values: ['gro'], apply: 'runtime', order: 2 },
  };
  t.throws(() => parseEthtoolMapping({ driver: 'eth', resources: ['eth0'], parameters }, 'ethtool.json'), { code: 'E_DOCUMENT', message: /^ethtool.json: \/parameters\/a/ });
  const rest = { b: parameters.b, c: parameters.c };
  t.throws(() => parseEthtoolMapping({ driver: 'eth', resources: ['eth0'], parameters: rest }, 'ethtool.json'), {
    message: 'ethtool.json: /parameters/b/min: must be a multiple of scale 1000\nethtool.json: /parameters/c/order: 2 is also the order of b',
  });
});

/** A NIC's offloads as a set of ethtool -k features, beside its coalescing. */
const offloadMapping = parseEthtoolMapping(
  {
    driver: 'nic',
    resources: ['eth0'],
    parameters: {
      interrupt_coalescence_time: { setting: 'coalesce', field: 'rx-usecs', type: 'integer', unit: 'ns', scale: 1000, min: 0, max: 10_000_000, apply: 'runtime', order: 1 },
      offloads: { setting: 'features', type: 'set', values: ['generic-receive-offload', 'large-receive-offload', 'rx-checksumming', 'tcp-segmentation-offload'], apply: 'runtime', order: 2 },
    },
  },
  'ethtool.json',
);

void t.test('features: read from ethtool -k as the set that is on; only what changes is written, in one -K', async (t) => {
  const ethtool = new FakeEthtool(['eth0']);
  const backend = new EthtoolBackend([offloadMapping], { ethtool: ethtool.run, pollMs: 0 });
  t.teardown(() => backend.stop());
  t.same(backend.read('nic', 'eth0').offloads, ['generic-receive-offload', 'rx-checksumming', 'tcp-segmentation-offload'], 'large-receive-offload is off');
  ethtool.log.length = 0;
  const r = await backend.apply('nic', { offloads: ['rx-checksumming', 'generic-receive-offload'] });
  t.same(ethtool.log.filter((c) => c.startsWith('-K ')), ['-K eth0 tcp-segmentation-offload off'], 'the fixed large-receive-offload is not asked for');
  t.same(r.changes, [{ resource: 'eth0', name: 'offloads', from: ['generic-receive-offload', 'rx-checksumming', 'tcp-segmentation-offload'], to: ['generic-receive-offload', 'rx-checksumming'] }]);
  t.same(backend.read('nic', 'eth0').offloads, ['generic-receive-offload', 'rx-checksumming']);
});

void t.test('features: turning on one the driver has fixed off is refused with its name, and every value is rolled back', async (t) => {
  const ethtool = new FakeEthtool(['eth0']);
  const backend = new EthtoolBackend([offloadMapping], { ethtool: ethtool.run, pollMs: 0 });
  t.teardown(() => backend.stop());
  const before = backend.read('nic', 'eth0');
  await t.rejects(backend.apply('nic', { interrupt_coalescence_time: 500_000, offloads: ['large-receive-offload', 'rx-checksumming'] }), {
    code: 'E_DRIVER',
    path: 'nic/offloads',
    message: /large-receive-offload is fixed off on eth0/,
  });
  t.same(backend.read('nic', 'eth0'), before, 'the coalescing written first is restored too');
});

void t.test('features: a mapped feature the driver does not have is an error naming it', async (t) => {
  const mapping = parseEthtoolMapping(
    { driver: 'nic', resources: ['eth0'], parameters: { offloads: { setting: 'features', type: 'set', values: ['rx-gro-list'], apply: 'runtime', order: 1 } } },
    'ethtool.json',
  );
  t.throws(() => new EthtoolBackend([mapping], { ethtool: new FakeEthtool(['eth0']).run, pollMs: 0 }), { code: 'E_DRIVER', path: 'nic/offloads', message: /eth0 has no feature rx-gro-list/ });
});

void t.test("ethtool -k as 6.1 prints it for e1000e: top-level and indented features, fixed and requested", async (t) => {
  const output = [
    'Features for eth0:',
    'rx-checksumming: on',
    'tx-checksumming: on',
    '\ttx-checksum-ipv4: off [fixed]',
    '\ttx-checksum-ip-generic: on',
    'scatter-gather: on',
    'tcp-segmentation-offload: off [requested on]',
    'generic-receive-offload: on',
    'large-receive-offload: off [fixed]',
    'highdma: on [fixed]',
    '',
  ].join('\n');
  const found = features(output);
  t.same(found.get('tx-checksum-ipv4'), { on: false, fixed: true }, 'an indented part');
  t.same(found.get('tcp-segmentation-offload'), { on: false, fixed: false }, 'what the driver does, not what was requested');
  t.same(found.get('highdma'), { on: true, fixed: true });
  t.equal(found.size, 9);
  t.notOk(found.has('Features for eth0'), 'the heading is no feature');
});
