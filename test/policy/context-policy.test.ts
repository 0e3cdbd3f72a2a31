import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContextPolicy } from '../../src/policy/context-policy.js';

const POLICY = new URL('../../manifests/policy.json', import.meta.url).pathname;
const at = (driving: string, workload = 'normal', io = 'quiet') => ({ driving, workload, io }) as never;

void t.test('the demo policy: first matching rule per context; unknown is always safe', async (t) => {
  const policy = ContextPolicy.load(POLICY);
  t.same(policy.drivers, ['pvnic']);
  t.equal(policy.minSwitchIntervalMs, 10_000);
  t.equal(policy.standstillKmh, 1);
  t.same(policy.decide(at('highway')), [{ driverId: 'pvnic', personality: 'highway', rule: 'policy.json#/drivers/pvnic/rules/3', safety: false }]);
  t.same(policy.decide(at('highway', 'pressured')), [{ driverId: 'pvnic', personality: 'city', rule: 'policy.json#/drivers/pvnic/rules/2', safety: false }]);
  t.same(policy.decide(at('unknown', 'pressured')), [{ driverId: 'pvnic', personality: 'safe', rule: 'policy.json#/drivers/pvnic/safe', safety: true }]);
  t.equal(policy.decide(at('offroad', 'idle', 'bulk'))[0]!.personality, 'offroad');
  t.equal(policy.referencedPersonalities().length, 6);
});

void t.test('schema problems are all listed', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify({ drivers: { pvnic: { rules: [{ when: { driving: 'city' }, personality: 'City' }] } }, extra: 1 }));
  t.throws(() => ContextPolicy.load(file), {
    code: 'E_DOCUMENT',
    problems: [
      { file, path: '/extra', message: 'unknown key' },
      { file, path: '/drivers/pvnic/safe', message: 'is required' },
      { file, path: '/drivers/pvnic/rules/0/personality', message: 'must match pattern "^[a-z][a-z0-9-]*$"' },
    ],
  });
});

void t.test('unknown state names and contexts no rule covers are refused', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'policy.json');
  writeFileSync(
    file,
    JSON.stringify({
      drivers: {
        pvnic: {
          safe: 'safe',
          rules: [
            { when: { driving: ['city', 'highway'], workload: 'stressed' }, personality: 'city' },
            { when: { driving: 'parked' }, personality: 'parked' },
          ],
        },
      },
    }),
  );
  t.throws(() => ContextPolicy.load(file), {
    code: 'E_DOCUMENT',
    problems: [
      { file, path: '/drivers/pvnic/rules/0/when/workload', message: '"stressed" is not one of idle, normal, pressured' },
      { file, path: '/drivers/pvnic/rules', message: 'no rule matches driving/workload/io city/idle/quiet, city/idle/interactive, city/idle/bulk, city/normal/quiet, city/normal/interactive, city/normal/bulk, … (27 in all)' },
    ],
  });
});
