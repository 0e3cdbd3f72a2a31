import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContextPolicy } from '../../src/policy/context-policy.js';
import { packageRoot } from '../../src/common/package-root.js';

const POLICY = join(packageRoot(), 'manifests/policy.json');

/** A policy file with only `pvnic`'s rule set, in a fresh folder. */
function pvnicPolicy(t: Test, pvnic: object): string {
  const file = join(t.testdir(), 'policy.json');
  writeFileSync(file, JSON.stringify({ drivers: { pvnic } }));
  return file;
}

const at = (driving: string, workload = 'normal', io = 'quiet', instance = 'unknown', role: string | null = null) => ({ driving, workload, io, instance, role }) as never;

void t.test('the demo policy: first matching rule per context; unknown is always safe', async (t) => {
  const policy = ContextPolicy.load(POLICY);
  t.same(policy.drivers, ['pvnic']);
  t.equal(policy.minSwitchIntervalMs, 10_000);
  t.equal(policy.standstillKmh, 1);
  const targets = policy.targets(() => ['pvnic0', 'pvnic1']);
  const target = { key: 'pvnic', driverId: 'pvnic', resources: ['pvnic0', 'pvnic1'] };
  t.same(targets, [target], 'no resource has rules of its own: one target');
  t.same(policy.decide(at('highway'), targets), [{ target, driverId: 'pvnic', personality: 'highway', rule: 'policy.json#/drivers/pvnic/rules/4', safety: false }]);
  t.same(policy.decide(at('highway', 'pressured'), targets), [{ target, driverId: 'pvnic', personality: 'city', rule: 'policy.json#/drivers/pvnic/rules/2', safety: false }]);
  t.same(policy.decide(at('highway', 'normal', 'quiet', 'constrained', 'cockpit'), targets), [{ target, driverId: 'pvnic', personality: 'city', rule: 'policy.json#/drivers/pvnic/rules/3', safety: false }]);
  t.equal(policy.decide(at('highway', 'normal', 'quiet', 'normal', 'cockpit'), targets)[0]!.personality, 'highway');
  t.same(policy.decide(at('unknown', 'pressured'), targets), [{ target, driverId: 'pvnic', personality: 'safe', rule: 'policy.json#/drivers/pvnic/safe', safety: true }]);
  t.same(policy.decide(at('unknown', 'normal', 'quiet', 'normal', 'cockpit'), targets), [{ target, driverId: 'pvnic', personality: 'safe', rule: 'policy.json#/drivers/pvnic/safe', safety: true }], 'driving unknown is safe whatever the instance says');
  t.equal(policy.decide(at('offroad', 'idle', 'bulk'), targets)[0]!.personality, 'offroad');
  t.equal(policy.referencedPersonalities().length, 7);
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
      {
        file,
        path: '/drivers/pvnic/rules',
        message: 'no rule matches driving/workload/io/instance/role city/idle/quiet/unknown/none, city/idle/interactive/unknown/none, city/idle/bulk/unknown/none, city/normal/quiet/unknown/none, city/normal/interactive/unknown/none, city/normal/bulk/unknown/none, … (297 in all)',
      },
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

/** The demo policy as it was before the instance region: no rule names an instance state or a role. */
const BEFORE_INSTANCE = {
  minSwitchIntervalMs: 10000,
  drivers: {
    pvnic: {
      safe: 'safe',
      rules: [
        { when: { driving: 'parked' }, personality: 'parked' },
        { when: { driving: 'offroad' }, personality: 'offroad' },
        { when: { driving: 'highway', workload: 'pressured' }, personality: 'city' },
        { when: { driving: 'highway' }, personality: 'highway' },
        { when: { driving: 'city' }, personality: 'city' },
      ],
    },
  },
};

void t.test('a policy written before the instance region loads unchanged and decides alike in every instance state and role', async (t) => {
  const file = join(t.testdir(), 'policy.json');
  writeFileSync(file, JSON.stringify(BEFORE_INSTANCE));
  const policy = ContextPolicy.load(file);
  const targets = policy.targets(() => ['pvnic0']);
  for (const [instance, role] of [['unknown', null], ['normal', null], ['normal', 'adas'], ['constrained', 'batch']] as const) {
    t.same(
      ['parked', 'city', 'highway', 'offroad', 'unknown'].map((driving) => policy.decide(at(driving, 'normal', 'quiet', instance, role), targets)[0]!.personality),
      ['parked', 'city', 'highway', 'offroad', 'safe'],
      `instance ${instance}, role ${role ?? 'none'}`,
    );
  }
});

void t.test('when.instance and when.role: a role matches only while the instance state is known', async (t) => {
  const file = pvnicPolicy(t, {
      safe: 'safe',
      rules: [
        { when: { role: ['batch', 'gateway'] }, personality: 'parked' },
        { when: { instance: 'constrained' }, personality: 'city' },
        { when: {}, personality: 'highway' },
      ],
    });
  const policy = ContextPolicy.load(file);
  const targets = policy.targets(() => ['pvnic0']);
  const decide = (instance: string, role: string | null) => policy.decide(at('city', 'normal', 'quiet', instance, role), targets)[0]!;
  t.equal(decide('normal', 'batch').rule, 'policy.json#/drivers/pvnic/rules/0', 'a fresh context naming batch');
  t.equal(decide('constrained', 'gateway').personality, 'parked', 'the first rule that matches wins');
  t.equal(decide('constrained', 'cockpit').rule, 'policy.json#/drivers/pvnic/rules/1', 'a role the rule does not name');
  t.equal(decide('constrained', null).rule, 'policy.json#/drivers/pvnic/rules/1', 'no role: a rule with role never matches');
  t.equal(decide('unknown', 'batch').rule, 'policy.json#/drivers/pvnic/rules/2', 'while the instance is unknown no role is taken, whatever is passed');
  t.same(policy.decide(at('unknown', 'normal', 'quiet', 'constrained', 'batch'), targets)[0]!.safety, true, 'driving unknown is still safety');
});

void t.test('instance states and roles that do not exist, and instance states or roles no rule covers, are refused with their paths', async (t) => {
  const file = pvnicPolicy(t, {
      safe: 'safe',
      rules: [
        { when: { instance: ['unknown', 'busy'] }, personality: 'city' },
        { when: { role: 'infotainment' }, personality: 'parked' },
        { when: { instance: 'normal' }, personality: 'city' },
        { when: { instance: 'constrained', role: ['cockpit', 'adas', 'gateway'] }, personality: 'city' },
      ],
      resources: { pvnic1: { rules: [{ when: { instance: ['normal', 'constrained'] }, personality: 'city' }] } },
    });
  t.throws(() => ContextPolicy.load(file), {
    code: 'E_DOCUMENT',
    problems: [
      { file, path: '/drivers/pvnic/rules/0/when/instance', message: '"busy" is not one of unknown, normal, constrained' },
      { file, path: '/drivers/pvnic/rules/1/when/role', message: '"infotainment" is not one of cockpit, adas, gateway, batch' },
      {
        file,
        path: '/drivers/pvnic/rules',
        message: 'no rule matches driving/workload/io/instance/role parked/idle/quiet/constrained/none, parked/idle/interactive/constrained/none, parked/idle/bulk/constrained/none, parked/normal/quiet/constrained/none, parked/normal/interactive/constrained/none, parked/normal/bulk/constrained/none, … (72 in all)',
      },
      {
        file,
        path: '/drivers/pvnic/resources/pvnic1/rules',
        message: 'no rule matches driving/workload/io/instance/role parked/idle/quiet/unknown/none, parked/idle/interactive/unknown/none, parked/idle/bulk/unknown/none, parked/normal/quiet/unknown/none, parked/normal/interactive/unknown/none, parked/normal/bulk/unknown/none, … (36 in all)',
      },
    ],
  });
});
