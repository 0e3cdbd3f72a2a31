import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCandumpLine, parseCandumpLine } from '../../src/can/candump-line.js';
import { packageRoot } from '../../src/common/package-root.js';
import { encodeMessage } from '../../src/signals/message-codec.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { DecodeDigest } from './decode-digest.js';
import { bootVm, kernelProblems, vmAvailable } from './vm-harness.js';

const root = packageRoot();
const VEHICLE = join(root, 'vehicles/demo');
const PROBE = join(root, 'dist/test/vm/socketcan-probe.js');
const FRAMES = 4000;
const RATE = 2000;

/** 2 s of the demo vehicle's four messages at 2,000 frames/s, every value different. */
function writeLog(dir: string): string {
  const vehicle = loadVehicle(VEHICLE);
  const messages = [...new Set(vehicle.signals.map((s) => s.message))];
  const lines: string[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const message = messages[i % messages.length]!;
    const v = i / FRAMES;
    const values: Record<string, number> = { Speed: 120 * v, SpeedValid: 1, Gear: 1 + (i % 6), AccelVertical: 3 * Math.sin(i), AccelLongitudinal: -1 + 2 * v, SteeringAngle: 90 * Math.cos(i / 50), WheelSpeedFL: 100 * v, WheelSpeedFR: 100 * v + 1, WheelSpeedRL: 100 * v + 2, WheelSpeedRR: 100 * v + 3 };
    const own = Object.fromEntries(message.signals.filter((s) => s.name in values).map((s) => [s.name, values[s.name]!]));
    lines.push(formatCandumpLine({ timeUs: 1_767_258_000_000_000 + Math.round((i * 1e6) / RATE), iface: 'vcan0', id: message.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(message, own) }));
  }
  const file = join(dir, 'vcan-2000fps.log');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const availability = vmAvailable();
if (!availability.ok) {
  // A missing QEMU or kernel is a failure in CI, never a silent skip.
  if (process.env.CI) t.fail(availability.reason);
  else t.pass('SocketCAN on a real kernel', { skip: availability.reason });
} else {
  void t.test('SocketCanSource on vcan0 in a real kernel: every frame at 2,000 frames/s, stale when down, fresh when up', async (t) => {
    t.ok(existsSync(PROBE), `${PROBE} is built by npm test (npm run build)`);
    // The guest sees the host's tree read-only, except /tmp, which is its own: the log goes under dist/.
    const dir = join(root, 'dist/vm-fixtures');
    mkdirSync(dir, { recursive: true });
    const log = writeLog(dir);
    const expected = new DecodeDigest(loadVehicle(VEHICLE));
    for (const line of readFileSync(log, 'utf8').trimEnd().split('\n')) expected.add(parseCandumpLine(line));
    const want = { ...expected.result(), values: expected.values() };

    const vm = await bootVm({ log: (line) => t.comment(line) });
    t.teardown(() => vm.shutdown());
    // As the Yocto layer configures an ECU: socket buffers deep enough for a burst while node is busy (JIT, GC).
    const up = await vm.run('sysctl -qw net.core.rmem_default=4194304 net.core.rmem_max=4194304 && ip link add dev vcan0 type vcan && ip link set vcan0 up');
    t.equal(up.exitCode, 0, up.output);
    const r = await vm.run(`node ${PROBE} ${VEHICLE} ${log} vcan0`, { timeoutMs: 90_000 });
    t.equal(r.exitCode, 0, r.output);
    const got = JSON.parse(r.output.trim().split('\n').at(-1)!) as {
      replay: { canplayerExit: number; frames: number; framesSha256: string; valuesSha256: string; values: Record<string, number> };
      staleAfterMs?: number;
      stateWhileDown: string;
      freshAfterMs?: number;
      afterFrames: number;
      stats: { frames: number; errorFrames: number; reopens: number };
      logs: string[];
    };
    t.comment(`probe: ${JSON.stringify({ ...got, replay: { ...got.replay, values: undefined } })}`);
    t.equal(got.replay.canplayerExit, 0, 'canplayer played the log');
    t.equal(got.replay.frames, FRAMES, `all ${FRAMES} frames received`);
    t.equal(got.replay.framesSha256, want.framesSha256, 'the same frames in the same order');
    t.equal(got.replay.valuesSha256, want.valuesSha256, 'decoded to the same values, frame by frame');
    t.same(got.replay.values, want.values, 'the latest values agree');
    t.ok(typeof got.staleAfterMs === 'number' && got.staleAfterMs <= 1000, `Vehicle.Speed went stale ${got.staleAfterMs} ms after the interface went down`);
    t.equal(got.stateWhileDown, 'down', 'the source noticed the interface going down');
    t.ok(typeof got.freshAfterMs === 'number', `fresh again ${got.freshAfterMs} ms after the interface came back up`);
    t.equal(got.stats.reopens, 1, 'it reopened once frames flowed again');
    t.match(got.logs.join('\n'), /vcan0 went down; reopening/);
    t.same(kernelProblems(await vm.dmesg()), [], 'the kernel log is clean');
  });
}
