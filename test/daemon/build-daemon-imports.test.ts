import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/common/package-root.js';
import type { PersonaConfig } from '../../src/daemon/config.js';

/** Reports every module file loaded, on standard error, from the loader's thread. */
const REPORT_LOADS = `export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('loaded ' + url + '\\n'); return next(url, context); }`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(REPORT_LOADS)}`)});`;

/**
 * The compiled modules (under dist/src/) that building a daemon loads, in a process of its own
 * that has loaded nothing else: the module cache of a test process would hide what it loads.
 */
function modulesLoaded(overrides: Partial<PersonaConfig>): Promise<string[]> {
  const dist = pathToFileURL(join(packageRoot(), 'dist/src/')).href;
  const build = [
    `const { buildDaemon } = await import(${JSON.stringify(`${dist}daemon/build-daemon.js`)});`,
    `const { loadConfig } = await import(${JSON.stringify(`${dist}daemon/config.js`)});`,
    `const { silentLogger } = await import(${JSON.stringify(`${dist}common/logger.js`)});`,
    `await buildDaemon(loadConfig({ cwd: ${JSON.stringify(packageRoot())}, overrides: ${JSON.stringify(overrides)} }), { logger: silentLogger });`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', build], { cwd: packageRoot() }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`building the daemon failed: ${stderr}`));
      else resolve([...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]!).filter((url) => url.startsWith(dist)).map((url) => url.slice(dist.length)));
    });
  });
}

const DASHBOARD = /^dashboard\/|^daemon\/dashboard-api\.js$/;
const NAMESPACE = /^namespace\/|^daemon\/(open-namespace|namespace-link)\.js$/;
const UNUSED_BACKENDS = /^backend\/(kmod|sysfs|ethtool|userspace|addon-persona|mapping-files)/;

void t.test('a daemon on the simulated backend, without dashboard or namespace, loads none of their modules', async (t) => {
  const loaded = await modulesLoaded({ backend: 'simulated' });
  t.ok(loaded.includes('daemon/build-daemon.js') && loaded.includes('backend/simulated-backend.js'), 'the daemon and its backend are loaded');
  t.same(loaded.filter((m) => DASHBOARD.test(m) || NAMESPACE.test(m) || UNUSED_BACKENDS.test(m)), []);
});

void t.test('the dashboard and the shared namespace are loaded when configured', async (t) => {
  const loaded = await modulesLoaded({ backend: 'simulated', http: '127.0.0.1:8080', namespace: 'mqtt' });
  t.ok(loaded.includes('dashboard/dashboard-server.js'), 'the dashboard server is loaded');
  t.ok(loaded.includes('daemon/dashboard-api.js'), 'its API is loaded');
  t.ok(loaded.includes('namespace/mqtt-namespace.js'), 'the namespace is loaded');
  t.same(loaded.filter((m) => UNUSED_BACKENDS.test(m)), []);
});
