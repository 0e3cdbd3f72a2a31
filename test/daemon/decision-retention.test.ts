import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DecisionRecord } from '../../src/daemon/decision-record.js';
import { RecordingPublisher, runDrive } from '../helpers/scenario.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Publishes like the others, but remembers each decision only weakly: what stays alive is what the daemon keeps. */
class WeakDecisions extends RecordingPublisher {
  readonly published: Array<WeakRef<DecisionRecord>> = [];
  override publishDecision(p: DecisionRecord): void {
    this.published.push(new WeakRef(p));
  }
}

const P = 126;
const D = 3;

// A daemon runs for months: whatever it keeps per decision grows its memory with the drive.
void t.test('a running daemon keeps its latest decision and none before it', async (t) => {
  const published = new WeakDecisions();
  const r = await runDrive(
    () => Array.from({ length: 6 }, () => [
      { seconds: 20, speedKmh: 0, gear: P },
      { seconds: 20, speedKmh: 40, gear: D },
      { seconds: 20, speedKmh: 110, gear: D },
    ]).flat(),
    { published },
  );
  // A WeakRef holds its target until the job that made it ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const alive = published.published.map((ref) => ref.deref()).filter((d) => d !== undefined);
  t.ok(published.published.length > 20, `the drive made many decisions (${published.published.length})`);
  t.same(alive.map((d) => d.seq), [published.published.length], 'only the latest is still in memory');
  t.equal(r.daemon.latestDecision()?.seq, published.published.length, 'and the daemon answers with it');
});
