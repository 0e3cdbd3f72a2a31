import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/logger.js';
import { packageRoot } from '../../src/common/package-root.js';
import { loadConfig } from '../../src/daemon/config.js';
import { simulate } from '../../src/daemon/simulation.js';
import { decisionSummary } from '../../src/cli/simulate-command.js';

const root = packageRoot();
const GOLDEN = join(root, 'test/daemon/golden/demo-drive.decisions.jsonl');

void t.test('the bundled drive makes exactly the golden decisions', async (t) => {
  const { decisions, frames } = await simulate(loadConfig({ cwd: root, overrides: { can: `replay:${join(root, 'vehicles/demo/drive.log')}` } }), silentLogger);
  const lines = decisions.map((d) => JSON.stringify(decisionSummary(d)));
  const golden = readFileSync(GOLDEN, 'utf8').trimEnd().split('\n');
  // Regenerate after an intended change: persona simulate --can replay:vehicles/demo/drive.log --json > test/daemon/golden/demo-drive.decisions.jsonl
  t.same(lines, golden);
  t.same(frames, { decoded: 29600, ignored: 0, badLength: 0 }, 'every frame of the demo drive is of the demo vehicle');
  const switched = decisions.filter((d) => d.drivers.some((x) => ['switch', 'partial'].includes(x.result)));
  t.same(
    switched.map((d) => `${d.context.driving}:${d.drivers[0]!.winner.personality}:${d.drivers[0]!.result}`),
    ['parked:parked:switch', 'city:city:partial', 'city:city:switch', 'highway:highway:partial', 'city:city:switch', 'offroad:offroad:partial', 'city:city:switch', 'parked:parked:switch'],
  );
});

void t.test('a simulation needs a replay', async (t) => {
  await t.rejects(simulate(loadConfig({ cwd: root, overrides: { can: 'socketcan:vcan0' } }), silentLogger), { name: 'RangeError', message: /replay:FILE/ });
});
