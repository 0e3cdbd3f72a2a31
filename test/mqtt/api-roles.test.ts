import t from 'tap';
import { BUILT_IN_ROLES, RoleBook } from '../../src/mqtt/api-roles.js';
import { apiRoleBook, loadConfig } from '../../src/daemon/config.js';
import { DocumentError } from '../../src/common/schema.js';
import { packageRoot } from '../../src/common/package-root.js';

void t.test('a client has the role of the first rule that matches, else the default', async (t) => {
  const book = new RoleBook([{ client: 'hu-*', role: 'app' }, { client: 'hu-diag', role: 'integrator' }, { client: 'ops.*', role: 'integrator' }], 'observer');
  t.equal(book.roleOf('hu-main').name, 'app');
  t.equal(book.roleOf('hu-diag').name, 'app', 'the first match wins');
  t.equal(book.roleOf('ops.night').name, 'integrator');
  t.equal(book.roleOf('opsXnight').name, 'observer', 'only * is special: a dot is a dot');
  t.equal(book.roleOf('hu-').name, 'app', '* matches an empty run too');
  t.equal(book.roleOf('xhu-main').name, 'observer', 'a pattern matches the whole name');
  t.same(book.roleOf('anyone').actions, ['why', 'list'], 'an unknown client may only read');
  t.equal(book.roleOf('anyone').maxHolds, 0);
});

void t.test('only the integrator reloads; roles of the config add to or replace the built-in ones', async (t) => {
  t.same(
    Object.entries(BUILT_IN_ROLES).filter(([, r]) => r.actions.includes('reload')).map(([name]) => name),
    ['integrator'],
  );
  const book = new RoleBook([{ client: 'fleet-agent', role: 'app' }], 'kiosk', { kiosk: { actions: ['list'], maxPriority: 0, maxHolds: 0, requestsPerSecond: 1, requestBurst: 2 }, app: { ...BUILT_IN_ROLES.app!, maxPriority: 100 } });
  t.equal(book.roleOf('fleet-agent').maxPriority, 100, 'app replaced');
  t.same(book.roleOf('someone').actions, ['list'], 'a role of its own as the default');
});

void t.test('a role that does not exist is a configuration error naming the field', async (t) => {
  t.throws(() => new RoleBook([{ client: 'x', role: 'admin' }], 'observer'), { message: '/apiClients/0/role: no role "admin"; roles: observer, app, integrator' });
  const error = t.throws(() => loadConfig({ cwd: packageRoot(), overrides: { apiDefaultRole: 'root' } })) as DocumentError;
  t.ok(error instanceof DocumentError);
  t.match(error.problems, [{ path: '/apiDefaultRole', message: /no role "root"/ }]);
});

void t.test('the default role: an observer with a broker of your own, an app with the embedded demo broker', (t) => {
  t.plan(2);
  t.equal(apiRoleBook(loadConfig({ cwd: packageRoot(), overrides: { broker: 'mqtt://broker.car:1883' } })).roleOf('someone').name, 'observer');
  t.equal(apiRoleBook(loadConfig({ cwd: packageRoot(), overrides: { broker: 'embedded' } })).roleOf('someone').name, 'app');
});
