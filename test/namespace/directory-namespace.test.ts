import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SimulatedClock } from '../../src/common/clock.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { DirectoryNamespace } from '../../src/namespace/directory-namespace.js';
import type { NamespaceSnapshot } from '../../src/namespace/namespace-source.js';

function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(typeof m === 'string' ? m : m()), child: () => logger };
  return { logger, warnings };
}

void t.test('reads the context and the personalities of its own profile, and reports only changes', (t) => {
  const root = t.testdir({
    instances: { 'cockpit-1': { 'context.json': '{"a":1}' }, 'adas-1': { 'context.json': '{"b":2}' } },
    personalities: {
      pvnic: {
        'safe.dsse.json': 'generic',
        'notes.txt': 'ignored',
        cockpit: { 'highway.dsse.json': 'for cockpit' },
        adas: { 'highway.dsse.json': 'for adas' },
      },
    },
  });
  const clock = new SimulatedClock();
  const seen: NamespaceSnapshot[] = [];
  const ns = new DirectoryNamespace(root, 'cockpit-1', 'cockpit', 1000, clock, silentLogger);
  ns.start((s) => seen.push(s));
  t.equal(seen.length, 1, 'read at once');
  t.equal(seen[0]!.context?.bytes.toString(), '{"a":1}');
  t.equal(seen[0]!.context?.origin, `dir:${join(root, 'instances/cockpit-1/context.json')}`);
  t.strictSame([...seen[0]!.personalities.keys()], ['pvnic/safe.dsse.json', 'pvnic/cockpit/highway.dsse.json']);
  clock.advance(3000);
  t.equal(seen.length, 1, 'nothing changed, nothing said');
  writeFileSync(join(root, 'personalities/pvnic/cockpit/highway.dsse.json'), 'v2');
  clock.advance(1000);
  t.equal(seen.length, 2);
  t.equal(seen[1]!.personalities.get('pvnic/cockpit/highway.dsse.json')?.bytes.toString(), 'v2');
  ns.stop();
  writeFileSync(join(root, 'personalities/pvnic/safe.dsse.json'), 'changed');
  clock.advance(5000);
  t.equal(seen.length, 2, 'stopped');
  t.end();
});

void t.test('a share that is missing is empty, said once; oversize files are skipped, said once', (t) => {
  const root = t.testdir({ personalities: { pvnic: { cockpit: {} } } });
  const { logger, warnings } = recorder();
  const clock = new SimulatedClock();
  const seen: NamespaceSnapshot[] = [];
  writeFileSync(join(root, 'personalities/pvnic/cockpit/big.dsse.json'), Buffer.alloc(300 * 1024, 0x20));
  const missing = new DirectoryNamespace(join(root, 'absent'), 'x', 'cockpit', 1000, clock, logger);
  missing.start((s) => seen.push(s));
  t.strictSame([seen[0]!.context, seen[0]!.personalities.size], [null, 0]);
  const ns = new DirectoryNamespace(root, 'x', 'cockpit', 1000, clock, logger);
  ns.start((s) => seen.push(s));
  t.equal(seen[1]!.personalities.size, 0, 'the oversize file is not passed on');
  clock.advance(3000);
  missing.stop();
  ns.stop();
  t.match(warnings, [/cannot read .*absent\/personalities \(ENOENT\); taken as empty/, /skipped .*big\.dsse\.json: 307200 bytes exceeds the limit .*\[E_SIZE\]/]);
  t.equal(warnings.length, 2, 'each said once over three polls');
  t.end();
});

void t.test('symbolic links in the share are never followed: not to a secret, not to a folder', (t) => {
  const root = t.testdir({ secret: 'root:$6$hash', elsewhere: { 'highway.dsse.json': 'outside' }, personalities: { pvnic: { cockpit: { 'real.dsse.json': 'real' } } } });
  symlinkSync(join(root, 'secret'), join(root, 'personalities/pvnic/cockpit/shadow.dsse.json'));
  symlinkSync(join(root, 'elsewhere'), join(root, 'personalities/linked'));
  const { logger, warnings } = recorder();
  const seen: NamespaceSnapshot[] = [];
  new DirectoryNamespace(root, 'x', 'cockpit', 1000, new SimulatedClock(), logger).start((s) => seen.push(s));
  t.strictSame([...seen[0]!.personalities.keys()], ['pvnic/cockpit/real.dsse.json']);
  t.notOk(JSON.stringify(warnings).includes('root:$6$'), 'nothing of the target is read');
  t.match(warnings.sort(), [/skipped .*personalities\/linked: is a symbolic link, not followed below .*\[E_LINK\]$/, /skipped .*shadow\.dsse\.json: is a symbolic link, not followed below .*\[E_LINK\]$/]);
  t.end();
});
