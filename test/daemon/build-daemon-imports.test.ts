import t from 'tap';
import { packageRoot } from '../../src/common/package-root.js';
import type { PersonaConfig } from '../../src/daemon/config.js';
import { DIST_SRC, modulesLoaded } from '../helpers/modules-loaded.js';

/** The compiled modules that building a daemon with these settings loads. */
function buildLoads(overrides: Partial<PersonaConfig>): Promise<string[]> {
  return modulesLoaded(
    [
      `const { buildDaemon } = await import(${JSON.stringify(`${DIST_SRC}daemon/build-daemon.js`)});`,
      `const { loadConfig } = await import(${JSON.stringify(`${DIST_SRC}daemon/config.js`)});`,
      `const { silentLogger } = await import(${JSON.stringify(`${DIST_SRC}common/logger.js`)});`,
      `await buildDaemon(loadConfig({ cwd: ${JSON.stringify(packageRoot())}, overrides: ${JSON.stringify(overrides)} }), { logger: silentLogger });`,
    ].join('\n'),
  );
}

const DASHBOARD = /^dashboard\/|^daemon\/dashboard-api\.js$/;
const NAMESPACE = /^namespace\/|^daemon\/(open-namespace|namespace-link)\.js$/;
const UNUSED_BACKENDS = /^backend\/(kmod|sysfs|ethtool|userspace|addon-persona|mapping-files)/;

void t.test('a daemon on the simulated backend, without dashboard or namespace, loads none of their modules', async (t) => {
  const loaded = await buildLoads({ backend: 'simulated' });
  t.ok(loaded.includes('daemon/build-daemon.js') && loaded.includes('backend/simulated-backend.js'), 'the daemon and its backend are loaded');
  t.same(loaded.filter((m) => DASHBOARD.test(m) || NAMESPACE.test(m) || UNUSED_BACKENDS.test(m)), []);
});

void t.test('the dashboard and the shared namespace are loaded when configured', async (t) => {
  const loaded = await buildLoads({ backend: 'simulated', http: '127.0.0.1:8080', namespace: 'mqtt' });
  t.ok(loaded.includes('dashboard/dashboard-server.js'), 'the dashboard server is loaded');
  t.ok(loaded.includes('daemon/dashboard-api.js'), 'its API is loaded');
  t.ok(loaded.includes('namespace/mqtt-namespace.js'), 'the namespace is loaded');
  t.same(loaded.filter((m) => UNUSED_BACKENDS.test(m)), []);
});
