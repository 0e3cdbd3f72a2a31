import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig } from '../../src/daemon/config.js';

// The host has no pvnic, so the ethtool backend cannot read it: a configuration problem, said before anything starts.
void t.test('backend ethtool without its devices is a configuration error naming /backend and the command', async (t) => {
  const config = loadConfig({ cwd: packageRoot(), overrides: { backend: 'ethtool' } });
  await t.rejects(buildDaemon(config, { logger: silentLogger }), {
    code: 'E_DOCUMENT',
    message: /^<command line>: \/backend: ethtool backend chosen, but its drivers cannot be read: pvnic\/pvnic0: cannot read the driver's version: /,
  });
});

void t.test('backend sysfs over a manifest folder without sysfs.json names the folder', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'persona-manifests-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const config = { ...loadConfig({ cwd: packageRoot(), overrides: { backend: 'sysfs' } }), manifests: empty };
  await t.rejects(buildDaemon(config, { logger: silentLogger }), { code: 'E_DOCUMENT', message: `${join(empty, 'drivers')}: /: no driver has a sysfs.json` });
});
