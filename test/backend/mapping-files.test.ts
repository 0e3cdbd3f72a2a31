import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { readDriverMappings } from '../../src/backend/mapping-files.js';
import { parseSysfsMapping } from '../../src/backend/sysfs-mapping.js';
import { parseEthtoolMapping } from '../../src/backend/ethtool-mapping.js';

void t.test("the project's manifest folder has a sysfs mapping for loop and an ethtool one for pvnic", async (t) => {
  const manifests = join(packageRoot(), 'manifests');
  t.same(readDriverMappings(manifests, 'sysfs.json', parseSysfsMapping).map((m) => m.driver), ['loop']);
  t.same(readDriverMappings(manifests, 'ethtool.json', parseEthtoolMapping).map((m) => m.driver), ['pvnic']);
});

void t.test('a mapping in the wrong folder, an invalid one, or none at all is a DocumentError naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'persona-mappings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.throws(() => readDriverMappings(dir, 'sysfs.json', parseSysfsMapping), { code: 'E_DOCUMENT', message: `${join(dir, 'drivers')}: /: no driver has a sysfs.json` });
  mkdirSync(join(dir, 'drivers', 'eth'), { recursive: true });
  const file = join(dir, 'drivers', 'eth', 'sysfs.json');
  const mapping = { driver: 'nic', resources: ['eth0'], parameters: { gro_flush: { path: '/sys/class/net/{resource}/gro_flush_timeout', type: 'integer', unit: 'ns', min: 0, max: 1000000, apply: 'runtime', order: 1 } } };
  writeFileSync(file, JSON.stringify(mapping));
  t.throws(() => readDriverMappings(dir, 'sysfs.json', parseSysfsMapping), { code: 'E_DOCUMENT', message: `${file}: /driver: must be eth, the folder's name` });
  writeFileSync(file, JSON.stringify({ ...mapping, driver: 'eth', parameters: { gro_flush: { ...mapping.parameters.gro_flush, path: '/proc/sys/net/x' } } }));
  t.throws(() => readDriverMappings(dir, 'sysfs.json', parseSysfsMapping), { code: 'E_DOCUMENT', message: new RegExp(`^${file}: /parameters/gro_flush/path: must match pattern`) });
  writeFileSync(file, '{');
  t.throws(() => readDriverMappings(dir, 'sysfs.json', parseSysfsMapping), { code: 'E_DOCUMENT', message: new RegExp(`^${file}: /: invalid JSON`) });
});
