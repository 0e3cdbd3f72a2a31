import t from 'tap';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import type { PersonaConfig } from '../../src/daemon/config.js';
import { DIST_SRC, filesLoaded, modulesLoaded } from '../helpers/modules-loaded.js';

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

void t.test('a simulation publishes nowhere and loads no MQTT client; a daemon loads MQTT.js once it connects', async (t) => {
  const root = JSON.stringify(packageRoot());
  const dir = t.testdir();
  const state = JSON.stringify({ backend: 'simulated', manifestState: join(dir, 'manifest-state.json'), holdState: join(dir, 'holds.json') });
  const imports = [
    `const { loadConfig } = await import(${JSON.stringify(`${DIST_SRC}daemon/config.js`)});`,
    `const { silentLogger } = await import(${JSON.stringify(`${DIST_SRC}common/logger.js`)});`,
  ];
  const simulated = await filesLoaded(
    [
      ...imports,
      `const { simulate } = await import(${JSON.stringify(`${DIST_SRC}daemon/simulation.js`)});`,
      `const { decisions } = await simulate(loadConfig({ cwd: ${root}, overrides: ${state} }), silentLogger);`,
      `if (decisions.length === 0) throw new Error('the simulation decided nothing');`,
    ].join('\n'),
  );
  t.ok(simulated.some((url) => url.endsWith('/daemon/simulation.js')), 'the simulation ran');
  t.same(simulated.filter((url) => url.includes('/node_modules/mqtt/')), [], 'no module of MQTT.js');
  // A broker nobody listens on: the connect fails, after MQTT.js was loaded to try it.
  const connecting = await filesLoaded(
    [
      ...imports,
      `const { StatusPublisher } = await import(${JSON.stringify(`${DIST_SRC}mqtt/status-publisher.js`)});`,
      `const publisher = new StatusPublisher({ url: 'mqtt://127.0.0.1:1', ecuId: 'imports', online: { state: 'online', backend: 'simulated' }, logger: silentLogger });`,
      `await publisher.start().then(() => { throw new Error('connected to port 1'); }, () => undefined);`,
    ].join('\n'),
  );
  t.ok(connecting.some((url) => url.includes('/node_modules/mqtt/')), 'MQTT.js is loaded to connect');
});
