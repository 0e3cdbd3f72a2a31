import t from 'tap';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import { MqttNamespace } from '../../src/namespace/mqtt-namespace.js';
import type { NamespaceSnapshot } from '../../src/namespace/namespace-source.js';

/** The daemon's subscribe, as a table of handlers the test delivers to. */
function broker(): { subscribe: (filter: string, handler: (topic: string, payload: Buffer) => void) => void; deliver: (topic: string, text: string | Buffer) => void } {
  const handlers: Array<{ filter: string; handler: (topic: string, payload: Buffer) => void }> = [];
  return {
    subscribe: (filter, handler) => void handlers.push({ filter, handler }),
    deliver: (topic, text) => {
      for (const { filter, handler } of handlers) {
        const prefix = filter.replace(/#$/, '');
        if (filter === topic || (filter.endsWith('#') && topic.startsWith(prefix))) handler(topic, Buffer.isBuffer(text) ? text : Buffer.from(text));
      }
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

void t.test('retained messages that arrive together make one snapshot of this instance and its profile', async (t) => {
  const { subscribe, deliver } = broker();
  const seen: NamespaceSnapshot[] = [];
  new MqttNamespace(subscribe, 'cockpit-1', 'cockpit', silentLogger).start((s) => seen.push(s));
  deliver('persona/fleet/instances/cockpit-1/context', '{"a":1}');
  deliver('persona/fleet/instances/adas-1/context', '{"b":2}');
  deliver('persona/fleet/personalities/pvnic/safe', 'generic');
  deliver('persona/fleet/personalities/pvnic/cockpit/highway', 'mine');
  deliver('persona/fleet/personalities/pvnic/adas/highway', 'theirs');
  await tick();
  t.equal(seen.length, 1, 'one snapshot for the burst');
  t.equal(seen[0]!.context?.origin, 'mqtt:persona/fleet/instances/cockpit-1/context');
  t.strictSame([...seen[0]!.personalities.keys()], ['pvnic/safe.dsse.json', 'pvnic/cockpit/highway.dsse.json']);
  deliver('persona/fleet/personalities/pvnic/cockpit/highway', 'mine');
  await tick();
  t.equal(seen.length, 1, 'the same bytes again are no change');
  deliver('persona/fleet/personalities/pvnic/safe', '');
  deliver('persona/fleet/instances/cockpit-1/context', '');
  await tick();
  t.strictSame([seen[1]!.context, [...seen[1]!.personalities.keys()]], [null, ['pvnic/cockpit/highway.dsse.json']], 'an empty retained message clears its topic');
});

void t.test('topics that are no place, and oversize messages, are ignored and said once', async (t) => {
  const { subscribe, deliver } = broker();
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(typeof m === 'string' ? m : m()) };
  const seen: NamespaceSnapshot[] = [];
  new MqttNamespace(subscribe, 'cockpit-1', 'cockpit', logger).start((s) => seen.push(s));
  for (let i = 0; i < 3; i++) {
    deliver('persona/fleet/personalities/pvnic/cockpit/../../etc/passwd', 'x');
    deliver('persona/fleet/personalities/pvnic', 'x');
    deliver('persona/fleet/personalities/pvnic/cockpit/huge', Buffer.alloc(300 * 1024));
  }
  await tick();
  t.equal(seen.length, 0, 'nothing was taken');
  t.equal(warnings.length, 3, 'three problems, each said once');
  t.match(warnings, [/ignored persona\/fleet\/personalities\/pvnic\/cockpit\/\.\.\/\.\.\/etc\/passwd: not/, /ignored persona\/fleet\/personalities\/pvnic: not/, /ignored mqtt:persona\/fleet\/personalities\/pvnic\/cockpit\/huge: 307200 bytes exceeds the limit .*\[E_SIZE\]/]);
});
