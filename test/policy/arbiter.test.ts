import t from 'tap';
import { join } from 'node:path';
import { Arbiter } from '../../src/policy/arbiter.js';
import { ContextPolicy } from '../../src/policy/context-policy.js';
import { HoldRegistry } from '../../src/policy/hold-registry.js';
import { packageRoot } from '../../src/common/package-root.js';

const policy = ContextPolicy.load(join(packageRoot(), 'manifests/policy.json'));
const targets = policy.targets(() => ['pvnic0', 'pvnic1']);
const target = { key: 'pvnic', driverId: 'pvnic', resources: ['pvnic0', 'pvnic1'] };
const at = (driving: string) => ({ driving, workload: 'normal', io: 'quiet' }) as never;
const hold = (owner: string, personality: string, priority: number) => ({ owner, driverId: 'pvnic', personality, priority });
const placedAt = (placedAtMs: number) => ({ placedAtMs, expiresAtMs: placedAtMs + 60_000, whilePresent: false });
const caps = { maxPerOwner: 4, maxHolds: 32 };

void t.test('without holds the policy decides', async (t) => {
  const [v] = new Arbiter(policy, new HoldRegistry(), targets).decide(at('city'));
  t.same(v, { target, driverId: 'pvnic', winner: { source: 'policy', personality: 'city', rule: 'policy.json#/drivers/pvnic/rules/5' }, losers: [] });
});

void t.test('holds beat the policy, the highest priority first; losers say why', async (t) => {
  const holds = new HoldRegistry();
  const arbiter = new Arbiter(policy, holds, targets);
  const low = holds.add(hold('navigation', 'offroad', 2), placedAt(0), caps).hold;
  const high = holds.add(hold('media', 'highway', 7), placedAt(1), caps).hold;
  const [v] = arbiter.decide(at('city'));
  t.same(v!.winner, { source: 'hold', personality: 'highway', rule: high.id, owner: 'media', priority: 7 });
  t.same(
    v!.losers.map((l) => [l.source, l.personality, l.why]),
    [
      ['hold', 'offroad', `outranked by hold ${high.id} of media (priority 7)`],
      ['policy', 'city', `outranked by hold ${high.id} of media (priority 7)`],
    ],
  );
  t.equal(low.priority, 2);
});

void t.test('safety beats every hold', async (t) => {
  const holds = new HoldRegistry();
  holds.add(hold('media', 'highway', 1000), placedAt(0), caps);
  const [v] = new Arbiter(policy, holds, targets).decide(at('unknown'));
  t.same(v!.winner, { source: 'safety', personality: 'safe', rule: 'policy.json#/drivers/pvnic/safe' });
  t.equal(v!.losers[0]!.why, 'outranked by safety: the driving context is unknown');
});
