import t, { type Test } from 'tap';
import type { FrameSource } from '../../src/can/can-frame.js';
import { SIMULATED_EPOCH_MS, SimulatedClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { buildDaemon } from '../../src/daemon/build-daemon.js';
import { loadConfig, type PersonaConfig } from '../../src/daemon/config.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { holdHandlers } from '../../src/daemon/persona-api.js';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { BUILT_IN_ROLES } from '../../src/mqtt/api-roles.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { RecordingPublisher } from '../helpers/scenario.js';

/** A bus that never says anything, and a source that cannot tell CAN time: no sample is ever taken. */
class QuietSource implements FrameSource {
  readonly description = 'quiet';
  readonly timeScale = 1;
  private stopped: (() => void) | undefined;
  start(): Promise<void> {
    return new Promise((resolve) => (this.stopped = resolve));
  }
  stop(): Promise<void> {
    this.stopped?.();
    return Promise.resolve();
  }
}

/** A started daemon on a quiet bus and a simulated clock, stopped when `t` ends. */
async function quietDaemon(t: Test, overrides: Partial<PersonaConfig> = {}): Promise<{ daemon: Daemon; clock: SimulatedClock; published: RecordingPublisher; config: PersonaConfig }> {
  const clock = new SimulatedClock();
  const published = new RecordingPublisher();
  const config = loadConfig({ cwd: packageRoot(), overrides: { workloadIntervalMs: 0, ...overrides } });
  const daemon = (await buildDaemon(config, { logger: silentLogger, clock, source: new QuietSource() }))({ publisher: published });
  await daemon.start();
  const running = daemon.run();
  t.teardown(async () => {
    await daemon.stop();
    await running;
  });
  return { daemon, clock, published, config };
}

const at = (ms: number): string => new Date(SIMULATED_EPOCH_MS + ms).toISOString();
const media = { owner: 'media', driverId: 'pvnic', personality: 'highway', priority: 50 };

void t.test('a hold ends on the wall clock, also when no frame ever comes', async (t) => {
  const { daemon, clock, published } = await quietDaemon(t);
  const { hold } = daemon.placeHold({ ...media, holdSeconds: 5 }, { maxPerOwner: 1 });
  // What the hold's decision publishes goes out once its apply is done.
  await daemon.settled();
  t.match(daemon.holds(), [{ id: hold.id, placed: at(0), expires: at(5000), whilePresent: false }]);
  clock.advance(4999);
  t.equal(daemon.holds().length, 1, 'not before its time');
  clock.advance(1 + 100);
  t.same(daemon.holds(), [], 'within a tick of it');
  t.same(published.holds.at(-1)?.holds, [], 'and state/holds says so');
});

void t.test('a hold tied to its owner lapses at the end of its lease, unless the owner says it is online again', async (t) => {
  const { daemon, clock, published } = await quietDaemon(t, { presenceLeaseSeconds: 10 });
  const { hold } = daemon.placeHold(media, { maxPerOwner: 1 });
  daemon.placeHold({ ...media, owner: 'navigation' }, { maxPerOwner: 1 });
  await daemon.settled();
  t.match(daemon.holds(), [{ id: hold.id, expires: at(10_000), whilePresent: true }, { owner: 'navigation', expires: at(10_000), whilePresent: true }]);
  clock.advance(8000);
  t.same(
    daemon.ownerOnline('media').map((h) => h.id),
    [hold.id],
    'only the holds of the owner that said it',
  );
  t.match(published.holds.at(-1)?.holds, [{ id: hold.id, expires: at(18_000) }, { owner: 'navigation', expires: at(10_000) }], 'state/holds shows the new end of the lease');
  clock.advance(2100);
  t.same(
    daemon.holds().map((h) => h.owner),
    ['media'],
    'the lease that was not renewed has lapsed',
  );
  clock.advance(7800);
  t.equal(daemon.holds().length, 1, 'the renewed one runs a full lease from its renewal');
  clock.advance(200);
  t.same(daemon.holds(), []);
  t.same(daemon.ownerOnline('media'), [], 'a lapsed lease is not brought back');
});

void t.test('caps: per owner from the asker, in all from maxHolds; a refusal changes nothing', async (t) => {
  const { daemon, published } = await quietDaemon(t, { maxHolds: 3 });
  daemon.placeHold({ ...media, holdSeconds: 60 }, { maxPerOwner: 2 });
  daemon.placeHold({ ...media, holdSeconds: 60 }, { maxPerOwner: 2 });
  await daemon.settled();
  const before = { holds: daemon.holds(), published: published.holds.length };
  t.throws(() => daemon.placeHold({ ...media, holdSeconds: 60 }, { maxPerOwner: 2 }), { code: 'E_HOLD_QUOTA', message: 'media has 2 holds, its quota is 2: release one first' });
  t.same({ holds: daemon.holds(), published: published.holds.length }, before, 'over the quota: nothing placed, nothing published');
  daemon.placeHold({ ...media, owner: 'navigation', holdSeconds: 60 }, { maxPerOwner: 2 });
  await daemon.settled();
  const full = { holds: daemon.holds(), published: published.holds.length };
  t.throws(() => daemon.placeHold({ ...media, owner: 'diag', holdSeconds: 60 }, { maxPerOwner: 2 }), { code: 'E_HOLDS_FULL', message: /^3 holds are in force, as many as there may be \(maxHolds 3\)/ });
  t.same({ holds: daemon.holds(), published: published.holds.length }, full, 'over maxHolds: the same');
});

void t.test("the API answers a role's quota with 403 and a full registry with 429", async (t) => {
  const { daemon, config } = await quietDaemon(t, { maxHolds: 5 });
  const store = ManifestStore.load(config.manifests, new SignedManifestVerifier(config.trust));
  const { select } = holdHandlers({ daemon, store: () => store, isPresent: () => true });
  const app = { name: 'app', ...BUILT_IN_ROLES.app! };
  const answer = async (client: string): Promise<unknown> => {
    try {
      return await select({ personality: 'highway', holdSeconds: 60 }, { client, role: app });
    } catch (err) {
      return err;
    }
  };
  // With no frames, a hold waits for a standstill: 409, placed all the same.
  for (let i = 0; i < app.maxHolds; i++) t.match(await answer('media'), { status: 409, data: { hold: String } });
  t.match(await answer('media'), { status: 403, code: 'E_HOLD_QUOTA', message: 'media has 4 holds, its quota is 4: release one first (role app)', data: undefined });
  t.match(await answer('navigation'), { status: 409, data: { hold: String } });
  t.match(await answer('diag'), { status: 429, code: 'E_HOLDS_FULL', message: /^5 holds are in force/, data: undefined });
  t.equal(daemon.holds().length, 5);
});
