import t, { type Test } from 'tap';
import { SysfsBackend } from '../../src/backend/sysfs-backend.js';
import { parseSysfsMapping } from '../../src/backend/sysfs-mapping.js';
import { FakeSysfs, loopTree } from './fake-sysfs.js';
import { loopSysfsMapping } from './userspace-targets.js';

const NEXT = { read_ahead: 262_144, merges: 1, io_scheduler: 'none' };

function make(t: Test) {
  const sysfs = new FakeSysfs();
  loopTree(sysfs);
  const backend = new SysfsBackend([loopSysfsMapping], { files: sysfs, root: sysfs.root, pollMs: 0 });
  t.teardown(async () => {
    await backend.stop();
    sysfs.remove();
  });
  return { sysfs, backend };
}

const INITIAL = { read_ahead: 131_072, merges: 0, io_scheduler: 'mq-deadline' };

void t.test('reports itself as sysfs and reads files in persona units', async (t) => {
  const { backend } = make(t);
  t.equal(backend.kind, 'sysfs');
  t.same(backend.read('loop', 'loop1'), INITIAL, 'read_ahead_kb 128 is 131072 B; the bracketed scheduler is the selected one');
});

void t.test('a write failing midway restores the earlier ones in reverse order', async (t) => {
  const { sysfs, backend } = make(t);
  sysfs.failNthWrite(5);
  await t.rejects(backend.apply('loop', NEXT), {
    code: 'E_DRIVER',
    path: 'loop/merges',
    message: /\/sys\/block\/loop1\/queue\/nomerges: EIO: i\/o error, write; every value was restored$/,
  });
  t.same(sysfs.writes, [
    '/sys/block/loop0/queue/read_ahead_kb=256',
    '/sys/block/loop0/queue/nomerges=1',
    '/sys/block/loop0/queue/scheduler=none',
    '/sys/block/loop1/queue/read_ahead_kb=256',
    '/sys/block/loop1/queue/nomerges=1',
    // The failed write changed nothing, so only the four before it are undone, last first.
    '/sys/block/loop1/queue/read_ahead_kb=128',
    '/sys/block/loop0/queue/scheduler=mq-deadline',
    '/sys/block/loop0/queue/nomerges=0',
    '/sys/block/loop0/queue/read_ahead_kb=128',
  ]);
  t.same([backend.read('loop', 'loop0'), backend.read('loop', 'loop1')], [INITIAL, INITIAL]);
  const r = await backend.apply('loop', {});
  t.equal(r.generation, 0, 'a failed apply makes no generation');
});

void t.test('a restore that fails is reported as such, naming what stays changed', async (t) => {
  const { sysfs, backend } = make(t);
  let writes = 0;
  sysfs.failWhen = (path, text) => {
    writes++;
    if (writes === 3) return new Error('EINVAL: invalid argument, write');
    // The first restore, of loop0's nomerges, fails too.
    if (writes === 4 && path.endsWith('nomerges') && text === '0') return new Error('EBUSY: resource busy, write');
    return undefined;
  };
  const error = await backend.apply('loop', NEXT, ['loop0']).then(
    () => undefined,
    (err: unknown) => err as { code: string; path: string; message: string; unrestored: string[] },
  );
  t.equal(error?.code, 'E_PARTIAL');
  t.equal(error?.path, 'loop/io_scheduler');
  t.match(error?.message, /scheduler: EINVAL: invalid argument, write; restoring failed/);
  t.same(error?.unrestored, [`merges at ${sysfs.root}/sys/block/loop0/queue/nomerges: EBUSY: resource busy, write`]);
  t.same(backend.read('loop', 'loop0'), { ...INITIAL, merges: 1 }, 'read_ahead is restored after the failed one; merges stays changed');
  const drifts: unknown[] = [];
  backend.onDrift((d) => drifts.push(d));
  await backend.poll();
  t.same(drifts, [{ driverId: 'loop', resources: ['loop0'], parameters: ['merges'], generation: 1 }], 'the leftover is reported as drift at the next poll');
});

void t.test('a value the kernel does not keep as written is a failure, and rolled back', async (t) => {
  const { sysfs, backend } = make(t);
  const write = sysfs.write.bind(sysfs);
  // As a driver that clamps: read_ahead_kb keeps at most 128.
  sysfs.write = (path, text) => write(path, path.endsWith('read_ahead_kb') ? String(Math.min(Number(text), 128)) : text);
  await t.rejects(backend.apply('loop', { merges: 2, read_ahead: 262_144 }, ['loop1']), {
    code: 'E_DRIVER',
    path: 'loop/read_ahead',
    message: /read_ahead_kb: reads back 131072 after 262144 was written; every value was restored/,
  });
  t.same(backend.read('loop', 'loop1'), INITIAL);
});

void t.test('a word the kernel refuses is a failure, and rolled back', async (t) => {
  const sysfs = new FakeSysfs();
  loopTree(sysfs);
  const mapping = parseSysfsMapping(
    { ...loopSysfsMapping, parameters: { ...loopSysfsMapping.parameters, io_scheduler: { ...loopSysfsMapping.parameters.io_scheduler!, values: ['mq-deadline', 'none', 'kyber'] } } },
    'sysfs.json',
  );
  const backend = new SysfsBackend([mapping], { files: sysfs, root: sysfs.root, pollMs: 0 });
  t.teardown(() => sysfs.remove());
  await t.rejects(backend.apply('loop', { merges: 2, io_scheduler: 'kyber' }, ['loop0']), { code: 'E_DRIVER', path: 'loop/io_scheduler', message: /EINVAL/ });
  t.same(backend.read('loop', 'loop0'), INITIAL);
});

void t.test('values are checked against the mapping before any file is touched', async (t) => {
  const { sysfs, backend } = make(t);
  await t.rejects(backend.apply('loop', { merges: 1, read_ahead: 1000 }), {
    code: 'E_RANGE',
    path: 'loop/read_ahead',
    message: 'loop/read_ahead: 1000 is not a whole number of /sys/block/{resource}/queue/read_ahead_kb\'s steps of 1024',
  });
  await t.rejects(backend.apply('loop', { merges: 1, io_scheduler: 'bfq' }), { code: 'E_RANGE', message: 'loop/io_scheduler: must be one of mq-deadline, none' });
  t.same(sysfs.writes, [], 'nothing written');
});

void t.test('drift: a poll reports files changed by others, once', async (t) => {
  const { sysfs, backend } = make(t);
  const seen: unknown[] = [];
  backend.onDrift((d) => seen.push(d));
  await backend.poll();
  sysfs.writeBehind('/sys/block/loop1/queue/nomerges', '2');
  sysfs.writeBehind('/sys/block/loop0/queue/scheduler', '[none] mq-deadline');
  await backend.poll();
  await backend.poll();
  t.same(seen, [{ driverId: 'loop', resources: ['loop0', 'loop1'], parameters: ['merges', 'io_scheduler'], generation: 1 }]);
});

void t.test('a mapped file missing when the backend opens names the file', async (t) => {
  const sysfs = new FakeSysfs();
  t.teardown(() => sysfs.remove());
  sysfs.file('/sys/block/loop0/queue/read_ahead_kb', '128\n');
  t.throws(() => new SysfsBackend([loopSysfsMapping], { files: sysfs, root: sysfs.root, pollMs: 0 }), {
    code: 'E_DRIVER',
    path: 'loop/merges',
    message: /\/sys\/block\/loop0\/queue\/nomerges: cannot read: ENOENT/,
  });
});

void t.test('a bad mapping lists every problem with its path', async (t) => {
  const bad = {
    driver: 'loop',
    resources: ['loop0', '../etc'],
    parameters: {
      read_ahead: { path: '/sys/block/{resource}/../queue/read_ahead_kb', type: 'integer', unit: 'B', scale: 1024, min: 1000, max: 0, apply: 'runtime', order: 1 },
      merges: { path: '/sys/block/{dev}/queue/nomerges', type: 'integer', unit: '', min: 0, max: 2, apply: 'runtime', order: 1 },
    },
  };
  t.throws(() => parseSysfsMapping(bad, 'sysfs.json'), { code: 'E_DOCUMENT', message: 'sysfs.json: /resources/1: must match pattern "^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$"' });
  const problems = (() => {
    try {
      parseSysfsMapping({ ...bad, resources: ['loop0'] }, 'sysfs.json');
    } catch (err) {
      return (err as { problems: unknown }).problems;
    }
  })();
  t.same(problems, [
    { file: 'sysfs.json', path: '/parameters/read_ahead/min', message: '1000 is above max 0' },
    { file: 'sysfs.json', path: '/parameters/read_ahead/min', message: 'must be a multiple of scale 1024' },
    { file: 'sysfs.json', path: '/parameters/merges/order', message: '1 is also the order of read_ahead' },
    { file: 'sysfs.json', path: '/parameters/read_ahead/path', message: 'must not contain . or .. segments' },
    { file: 'sysfs.json', path: '/parameters/merges/path', message: 'the only placeholder is {resource}' },
  ]);
});
