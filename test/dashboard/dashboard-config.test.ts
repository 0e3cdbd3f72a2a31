import t from 'tap';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { DocumentError } from '../../src/common/schema.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { COMMAND_LINE, loadConfig, type PersonaConfig } from '../../src/daemon/config.js';

/** The problems buildDaemon reports for these settings, before anything starts. */
async function problems(overrides: Partial<PersonaConfig>, cwd = packageRoot()): Promise<Array<{ file: string; path: string; message: string }>> {
  try {
    await buildDaemon(loadConfig({ cwd, overrides: { backend: 'simulated', ...overrides } }), { logger: silentLogger });
  } catch (err) {
    if (err instanceof DocumentError) return err.problems.map(({ file, path, message }) => ({ file, path, message }));
    throw err;
  }
  return [];
}

void t.test('the dashboard is off unless http names an address', async (t) => {
  t.same(await problems({}), []);
  t.same(await problems({ http: '127.0.0.1:8080' }), []);
  t.same(await problems({ http: '[::1]:8080' }), []);
});

void t.test('control without a token or without a dashboard is a configuration error naming both', async (t) => {
  t.same(await problems({ httpControl: true }), [
    { file: COMMAND_LINE, path: '/httpTokenFile', message: 'is required when httpControl is on: control needs an access token' },
    { file: COMMAND_LINE, path: '/http', message: 'is required when httpControl is on: there is no dashboard to control' },
  ]);
});

void t.test('a short or unreadable token file is refused with its name', async (t) => {
  const cwd = t.testdir({ 'short.txt': 'abc\n' });
  t.same(await problems({ http: '127.0.0.1:8080', httpControl: true, httpTokenFile: 'short.txt' }, cwd), [{ file: join(cwd, 'short.txt'), path: '', message: 'the dashboard access token has 3 characters; it needs at least 16' }]);
  t.same(await problems({ http: '127.0.0.1:8080', httpControl: true, httpTokenFile: 'absent.txt' }, cwd), [{ file: join(cwd, 'absent.txt'), path: '', message: 'cannot read the httpTokenFile: ENOENT' }]);
});

void t.test('an address without a port, or with a port out of range, is refused', async (t) => {
  t.same(await problems({ http: '127.0.0.1:70000' }), [{ file: COMMAND_LINE, path: '/http', message: 'port 70000 is not in 1–65535' }]);
  t.throws(() => loadConfig({ overrides: { http: '127.0.0.1' } }), new DocumentError([{ file: COMMAND_LINE, path: '--http', message: `must match pattern "${'^(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9.-]{1,253}):[0-9]{1,5}$'}"` }]));
});

void t.test('an added host name must be a name or an address, with a port in range if it has one', async (t) => {
  t.same(await problems({ http: '0.0.0.0:8080', httpAllowedHosts: ['persona-ecu.example', 'proxy.example:443', '[fd00::1]:8080'] }), []);
  t.same(await problems({ http: '0.0.0.0:8080', httpAllowedHosts: ['proxy.example:70000'] }), [{ file: COMMAND_LINE, path: '/httpAllowedHosts/0', message: 'port 70000 is not in 1–65535' }]);
  t.throws(() => loadConfig({ overrides: { httpAllowedHosts: ['https://proxy.example'] } }), new DocumentError([{ file: COMMAND_LINE, path: '--http-allowed-hosts/0', message: `must match pattern "${'^(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9.-]{1,253})(?::[0-9]{1,5})?$'}"` }]));
});
