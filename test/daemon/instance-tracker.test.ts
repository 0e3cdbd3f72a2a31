import t from 'tap';
import { createLogger } from '../../src/common/logger.js';
import type { InstanceInput } from '../../src/context/instance-features.js';
import { InstanceTracker } from '../../src/daemon/instance-tracker.js';

const none: InstanceInput = { timeMs: 0, stale: true, role: null, resources: null, hostPressure: null, updated: null, source: null };
const fresh: InstanceInput = { timeMs: 0, stale: false, role: 'gateway', resources: 'normal', hostPressure: 12.5, updated: '2026-01-01T09:00:00.000Z', source: 'mqtt:host/instances/gw' };

function feed(): { feed: InstanceTracker; logged: string[] } {
  const logged: string[] = [];
  return { feed: new InstanceTracker(createLogger('persona:instance', 'debug', (l) => logged.push(l))), logged };
}

void t.test('a host context that never was fresh is no news', async (t) => {
  const { feed: f, logged } = feed();
  for (let i = 0; i < 3; i++) f.accept(none);
  t.same(logged, []);
  t.same(f.describe('unknown'), { role: null, hostPressure: null });
  t.same(f.input, none, 'the decision record still shows what came');
});

void t.test('gone stale, the warning names where the last fresh context came from and when it was written', async (t) => {
  const { feed: f, logged } = feed();
  f.accept(fresh);
  f.accept(none);
  f.accept(none);
  f.accept(fresh);
  f.accept(fresh);
  t.same(logged, [
    'warn  persona:instance: instance context from mqtt:host/instances/gw is stale (updated 2026-01-01T09:00:00.000Z): ignored',
    'info  persona:instance: instance context from mqtt:host/instances/gw is fresh again (updated 2026-01-01T09:00:00.000Z)',
  ]);
});

void t.test('the role and pressure count only while the instance region knows a state and the context is fresh', async (t) => {
  const { feed: f } = feed();
  f.accept(fresh);
  t.same(f.describe('normal'), { role: 'gateway', hostPressure: 12.5 });
  t.same(f.describe('unknown'), { role: null, hostPressure: null }, 'a region still unknown');
  t.equal(f.roleChange('normal'), 'instance role none → gateway');
  t.equal(f.roleChange('normal'), undefined, 'said once');
  f.accept({ ...fresh, stale: true });
  t.same(f.describe('normal'), { role: null, hostPressure: null }, 'stale: ignored, whatever the region');
  t.equal(f.roleChange('unknown'), 'instance role gateway → none');
});
