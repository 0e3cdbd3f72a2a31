import t from 'tap';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { spawnPersona } from '../helpers/persona-process.js';

const root = packageRoot();
const DRIVE = join(root, 'vehicles/demo/drive.log');
const CORPUS = join(root, '../shared/dbc/opendbc');

void t.test('candump -L on stdin: `persona run --can -` runs the whole drive', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const recorder = await MqttRecorder.connect(broker.url, ['persona/stdin/state/context']);
  t.teardown(() => recorder.close());
  const p = spawnPersona(t, ['run', '--can', '-', '--broker', broker.url, '--ecu-id', 'stdin'], {}, createReadStream(DRIVE));
  t.same(await p.exited, { code: 0, signal: null }, 'ends with its input');
  await recorder.sync();
  t.same(
    recorder.messages.map((m) => (JSON.parse(m.text) as { context: string }).context),
    ['unknown', 'parked', 'city', 'highway', 'city', 'offroad', 'city', 'parked'],
  );
  t.match(p.stdout.join('\n'), /reading CAN from standard input/);
});

void t.test('persona signals prints VSS values per interval of CAN time', async (t) => {
  const p = spawnPersona(t, ['signals', '--vehicle', 'demo', '--can', `replay:${DRIVE}`, '--interval', '90000']);
  t.same(await p.exited, { code: 0, signal: null });
  t.same(p.stdout.filter((l) => l.startsWith('--')), ['-- 90.000 s', '-- 180.000 s']);
  const speedAt90 = p.stdout.find((l) => l.includes('Vehicle.Speed '))!;
  t.match(speedAt90, /^ {2}Vehicle\.Speed +1[12]\d\.\d+ km\/h +\d+ ms old {2}max 60 ms \(dbc, bus 20 ms\)$/, 'motorway speed at 90 s, fresh for 3 × the DBC cycle time');
  t.match(p.stderr.join('\n'), /29600 frames decoded, 0 of other messages, 0 shorter than their DBC message/);
  const json = spawnPersona(t, ['signals', '--vehicle', 'demo', '--can', `replay:${DRIVE}`, '--interval', '100000', '--json']);
  await json.exited;
  const first = JSON.parse(json.stdout[0]!) as { time: string; signals: Record<string, { value: number; ageMs: number } | null>; freshness: Record<string, { maxAgeMs: number; source: string }> };
  t.equal(first.time, '2026-01-01T09:01:40.000Z');
  t.equal(first.signals['Vehicle.Powertrain.Transmission.CurrentGear']?.value, 6);
  t.match(first.freshness['Vehicle.Powertrain.Transmission.CurrentGear'], { maxAgeMs: 300, source: 'dbc', periodMs: 100 });
});

void t.test('persona signals rejects a bad source or vehicle', async (t) => {
  const bad = spawnPersona(t, ['signals', '--vehicle', 'demo', '--can', 'serial:/dev/ttyS0']);
  t.same(await bad.exited, { code: 2, signal: null });
  t.match(bad.stderr.join('\n'), 'CAN source "serial:/dev/ttyS0" must be replay:FILE, socketcan:IFACE or -');
  const nov = spawnPersona(t, ['signals', '--vehicle', 'no-such-car', '--can', '-']);
  t.same(await nov.exited, { code: 2, signal: null });
  t.equal(
    nov.stderr.join('\n').trim(),
    `--vehicle no-such-car: no signals.json in any of, in this order:\n  ${join(nov.cwd, 'no-such-car')}\n  ${join(nov.cwd, 'vehicles/no-such-car')}\n  ${join(root, 'vehicles/no-such-car')}`,
    'every place looked in, in order',
  );
});

void t.test('persona dbc lint: counts per file, file:line:col errors, exit 1', async (t) => {
  const good = spawnPersona(t, ['dbc', 'lint', join(root, 'vehicles/demo/demo.dbc'), join(CORPUS, 'vw_pq.dbc')]);
  t.same(await good.exited, { code: 0, signal: null });
  t.same(good.stdout.filter(Boolean), [
    `${join(root, 'vehicles/demo/demo.dbc')}: 4 messages, 11 signals, 0 multiplexed`,
    `${join(CORPUS, 'vw_pq.dbc')}: 86 messages, 1317 signals, 73 multiplexed, 22 warnings`,
  ]);
  const bad = spawnPersona(t, ['dbc', 'lint', join(root, 'vehicles/demo/demo.dbc'), 'broken.dbc'], { 'broken.dbc': 'VERSION ""\n\nBO_ 100 Msg: 8 ECU\n SG_ Sig : 0|8@2+ (1,0) [0|255] "" X\n' });
  t.same(await bad.exited, { code: 1, signal: null });
  t.match(bad.stderr.join('\n'), /^broken\.dbc:4:\d+: /m);
});
