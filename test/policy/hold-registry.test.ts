import t from 'tap';
import { HoldRegistry } from '../../src/policy/hold-registry.js';

const hold = (owner: string, priority: number, expiresAtMs?: number) => ({ owner, driverId: 'pvnic', personality: 'highway', priority, ...(expiresAtMs === undefined ? {} : { expiresAtMs }) });

void t.test('tokens are 256 random bits, returned once and kept only as a hash', async (t) => {
  const registry = new HoldRegistry();
  const a = registry.add(hold('app', 5), 0);
  const b = registry.add(hold('app', 5), 0);
  t.match(a.token, /^[0-9a-f]{64}$/, '64 hex digits: never a leading dash that a command line would take for an option');
  t.equal(Buffer.from(a.token, 'hex').length, 32);
  t.not(a.token, b.token);
  t.notOk(JSON.stringify(registry.list()).includes(a.token), 'the list never shows a token');
});

void t.test('release needs the right token; a wrong one changes nothing', async (t) => {
  const registry = new HoldRegistry();
  const { hold: h, token } = registry.add(hold('app', 5), 0);
  t.throws(() => registry.release(h.id, 'not-the-token'), { code: 'E_HOLD_TOKEN' });
  t.equal(registry.list().length, 1);
  t.throws(() => registry.release('h99', token), { code: 'E_HOLD_NOT_FOUND' });
  t.same(registry.release(h.id, token), h);
  t.equal(registry.list().length, 0);
});

void t.test('strongest first: priority, then the newer', async (t) => {
  const registry = new HoldRegistry();
  const low = registry.add(hold('a', 1), 0).hold;
  const high = registry.add(hold('b', 9), 10).hold;
  const highNewer = registry.add(hold('c', 9), 20).hold;
  t.same(registry.forDriver('pvnic').map((h) => h.id), [highNewer.id, high.id, low.id]);
  t.same(registry.forDriver('other'), []);
});

void t.test('expiry and owner loss drop holds', async (t) => {
  const registry = new HoldRegistry();
  registry.add(hold('a', 1, 1000), 0);
  registry.add(hold('b', 1), 0);
  registry.add(hold('b', 2), 0);
  t.same(registry.expire(999), []);
  t.equal(registry.expire(1000).length, 1);
  t.equal(registry.dropOwner('b').length, 2);
  t.same(registry.list(), []);
});

void t.test('bad requests are refused', async (t) => {
  const registry = new HoldRegistry();
  t.throws(() => registry.add(hold('a', 0), 0), { code: 'E_HOLD_INVALID', message: /priority/ });
  t.throws(() => registry.add(hold('a', 1.5), 0), { code: 'E_HOLD_INVALID' });
  t.throws(() => registry.add({ ...hold('a', 1), personality: '../etc' }, 0), { code: 'E_HOLD_INVALID', message: /personality/ });
  t.throws(() => registry.add(hold('', 1), 0), { code: 'E_HOLD_INVALID', message: /owner/ });
  t.throws(() => registry.add(hold('a', 1, 5), 5), { code: 'E_HOLD_INVALID', message: /future/ });
  t.same(registry.list(), []);
});
