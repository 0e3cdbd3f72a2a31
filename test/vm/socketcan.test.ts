import t from 'tap';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCandumpLine } from '../../src/can/candump-line.js';
import { packageRoot } from '../../src/common/package-root.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { DecodeDigest } from './decode-digest.js';
import { writeVcanLog } from './vcan-log.js';
import { bootVm, kernelProblems, vmAvailable } from './vm-harness.js';

const root = packageRoot();
const VEHICLE = join(root, 'vehicles/demo');
const PROBE = join(root, 'dist/test/vm/socketcan-probe.js');
const FRAMES = 4000;
const RATE = 2000;

const availability = vmAvailable();
if (!availability.ok) {
  // A missing QEMU or kernel is a failure in CI, never a silent skip.
  if (process.env.CI) t.fail(availability.reason);
  else t.pass('SocketCAN on a real kernel', { skip: availability.reason });
} else {
  void t.test('SocketCanSource on vcan0 in a real kernel: every frame at 2,000 frames/s in batches with kernel times, bus-off and down reopen, stale when down, fresh when up, no descriptor left', async (t) => {
    t.ok(existsSync(PROBE), `${PROBE} is built by npm test (npm run build)`);
    // The guest sees the host's tree read-only, except /tmp, which is its own: the log goes under dist/.
    const dir = join(root, 'dist/vm-fixtures');
    mkdirSync(dir, { recursive: true });
    // 2 s of the demo vehicle's four messages at 2,000 frames/s.
    const log = writeVcanLog(loadVehicle(VEHICLE), dir, FRAMES, RATE);
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
      badInterface: string;
      replay: {
        canplayerExit: number;
        frames: number;
        framesSha256: string;
        valuesSha256: string;
        values: Record<string, number>;
        batches: number;
        backwards: number;
        laterThanDelivery: number;
        batchesWithOneTime: number;
        withinWallClock: boolean;
        spanUs: number;
        medianGapUs: number;
      };
      stateAfterBusOff: string;
      reopenedAfterBusOffMs?: number;
      staleAfterMs?: number;
      stateWhileDown: string;
      freshAfterMs?: number;
      afterFrames: number;
      stats: { frames: number; errorFrames: number; busOff: number; dropped: number; reopens: number };
      fdsBefore: number;
      fdsAfter: number;
      logs: string[];
    };
    t.comment(`probe: ${JSON.stringify({ ...got, replay: { ...got.replay, values: undefined } })}`);
    t.match(got.badInterface, /^ENODEV: SIOCGIFINDEX nocan0: No such device/, 'an interface that does not exist: ENODEV, naming it');
    t.equal(got.replay.canplayerExit, 0, 'canplayer played the log');
    t.equal(got.replay.frames, FRAMES, `all ${FRAMES} frames received`);
    t.equal(got.replay.framesSha256, want.framesSha256, 'the same frames in the same order');
    t.equal(got.replay.valuesSha256, want.valuesSha256, 'decoded to the same values, frame by frame');
    t.same(got.replay.values, want.values, 'the latest values agree');
    // 2 s of frames in batch windows of 10 ms: about 200 wake-ups, more when the guest stalls less than a window.
    t.ok(got.replay.batches > 0 && got.replay.frames / got.replay.batches >= 4, `${got.replay.batches} wake-ups for ${got.replay.frames} frames (${(got.replay.frames / got.replay.batches).toFixed(1)} a wake-up)`);
    t.equal(got.replay.backwards, 0, 'the kernel times never go backwards');
    t.equal(got.replay.laterThanDelivery, 0, 'no frame is timed after its batch was handed over');
    t.equal(got.replay.batchesWithOneTime, 0, 'the frames of a batch each have their own time, not the wake-up\'s');
    t.ok(got.replay.withinWallClock, 'the times are the receive times on the wall clock, not the log\'s');
    // canplayer sends in bursts when the busy guest lets it run late: the span, not each gap, is the log's.
    t.ok(got.replay.spanUs > 1_500_000, `spread as played: ${got.replay.spanUs} µs from the first frame to the last (the log: 2 s), ${got.replay.medianGapUs} µs between frames (median)`);
    t.equal(got.stats.dropped, 0, 'the kernel dropped no frame');
    t.equal(got.stateAfterBusOff, 'down', 'a bus-off error frame closes the socket');
    t.ok(typeof got.reopenedAfterBusOffMs === 'number', `open again ${got.reopenedAfterBusOffMs} ms after the bus-off, once frames flowed`);
    t.ok(typeof got.staleAfterMs === 'number' && got.staleAfterMs <= 1000, `Vehicle.Speed went stale ${got.staleAfterMs} ms after the interface went down`);
    t.equal(got.stateWhileDown, 'down', 'the source noticed the interface going down');
    t.ok(typeof got.freshAfterMs === 'number', `fresh again ${got.freshAfterMs} ms after the interface came back up`);
    t.same([got.stats.errorFrames, got.stats.busOff, got.stats.reopens], [2, 1, 2], 'two error frames, one a bus-off; reopened after it and after the interface came back');
    t.match(got.logs.join('\n'), /vcan0 reported bus-off; reopening/);
    t.match(got.logs.join('\n'), /vcan0 went down; reopening/);
    t.equal(got.fdsAfter, got.fdsBefore, 'every socket it opened is closed');
    t.same(kernelProblems(await vm.dmesg()), [], 'the kernel log is clean');
  });
}
