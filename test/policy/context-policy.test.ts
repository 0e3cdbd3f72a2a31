import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContextPolicy } from '../../src/policy/context-policy.js';

const POLICY = new URL('../../manifests/policy.json', import.meta.url).pathname;

void t.test('the demo policy maps every context of pvnic', async (t) => {
  const policy = ContextPolicy.load(POLICY);
  t.same(policy.drivers, ['pvnic']);
  t.same(policy.decide('highway'), [{ driverId: 'pvnic', personality: 'highway', rule: `${POLICY}#/drivers/pvnic/contexts/highway` }]);
  t.equal(policy.decide('unknown')[0]!.personality, 'safe');
  t.equal(policy.referencedPersonalities().length, 5);
});

void t.test('a policy missing a context or with a bad name lists each problem', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify({ drivers: { pvnic: { contexts: { parked: 'Parked', city: 'city', highway: 'highway', offroad: 'offroad' } } }, extra: 1 }));
  t.throws(() => ContextPolicy.load(file), {
    code: 'E_DOCUMENT',
    problems: [
      { file, path: '/extra', message: 'unknown key' },
      { file, path: '/drivers/pvnic/contexts/unknown', message: 'is required' },
      { file, path: '/drivers/pvnic/contexts/parked', message: 'must match pattern "^[a-z][a-z0-9-]*$"' },
    ],
  });
});
