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
  const targets = policy.targets(() => ['pvnic0', 'pvnic1']);
  const target = { key: 'pvnic', driverId: 'pvnic', resources: ['pvnic0', 'pvnic1'] };
  t.same(targets, [target], 'no resource has rules of its own: one target');
  t.same(policy.decide(at('highway'), targets), [{ target, driverId: 'pvnic', personality: 'highway', rule: 'policy.json#/drivers/pvnic/rules/3', safety: false }]);
  t.same(policy.decide(at('highway', 'pressured'), targets), [{ target, driverId: 'pvnic', personality: 'city', rule: 'policy.json#/drivers/pvnic/rules/2', safety: false }]);
  t.same(policy.decide(at('unknown', 'pressured'), targets), [{ target, driverId: 'pvnic', personality: 'safe', rule: 'policy.json#/drivers/pvnic/safe', safety: true }]);
  t.equal(policy.decide(at('offroad', 'idle', 'bulk'), targets)[0]!.personality, 'offroad');
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

void t.test('a resource with rules of its own is a target of its own', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'fleet.json');
  writeFileSync(
    file,
    JSON.stringify({
      drivers: {
        pvnic: {
          safe: 'safe',
          rules: [{ when: {}, personality: 'city' }],
          resources: { pvnic1: { $comment: 'telematics uplink: low power unless on the road', rules: [{ when: { driving: 'parked' }, personality: 'parked' }, { when: {}, personality: 'highway' }] } },
        },
      },
    }),
  );
  const policy = ContextPolicy.load(file);
  const targets = policy.targets(() => ['pvnic0', 'pvnic1', 'pvnic2']);
  t.same(targets, [
    { key: 'pvnic', driverId: 'pvnic', resources: ['pvnic0', 'pvnic2'] },
    { key: 'pvnic/pvnic1', driverId: 'pvnic', resources: ['pvnic1'] },
  ]);
  t.same(
    policy.decide(at('parked'), targets).map((c) => [c.target.key, c.personality, c.rule]),
    [
      ['pvnic', 'city', 'fleet.json#/drivers/pvnic/rules/0'],
      ['pvnic/pvnic1', 'parked', 'fleet.json#/drivers/pvnic/resources/pvnic1/rules/0'],
    ],
  );
  t.same(
    policy.decide(at('unknown'), targets).map((c) => [c.target.key, c.personality, c.rule]),
    [
      ['pvnic', 'safe', 'fleet.json#/drivers/pvnic/safe'],
      ['pvnic/pvnic1', 'safe', 'fleet.json#/drivers/pvnic/safe'],
    ],
    "without a safe of its own a resource takes its driver's",
  );
  t.same(policy.resourceOverrides(), [{ driverId: 'pvnic', resource: 'pvnic1', path: '/drivers/pvnic/resources/pvnic1' }]);
  t.equal(policy.referencedPersonalities().length, 4);
});
