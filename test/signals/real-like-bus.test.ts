import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCandumpLine } from '../../src/can/candump-line.js';
import type { DbcMessage, DbcSignal } from '../../src/signals/dbc-model.js';
import { parseDbc } from '../../src/signals/dbc-parser.js';
import { decodeRawSignal, decodeSignal } from '../../src/signals/message-codec.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import {
  DBC_FILE,
  GEAR,
  GEAR_CODES,
  GEOMETRY,
  kinematicFactors,
  KMH_PER_MPH,
  MESSAGES,
  realLikeBus,
  signalMap,
  SPEED,
  STANDARD_GRAVITY,
  STEERING,
  VERTICAL,
  WHEELS,
  writeRealLikeVehicle,
  writeVehicleFolder,
  type RealLikeFrame,
} from '../helpers/real-like-bus.js';

/**
 * The real-like bus generator itself: its traffic has the shape of a real car's, and what
 * it encodes is what it says it meant, checked through the DBC parser and the bit-by-bit
 * reference decoder (not the compiled decoders persona runs on).
 */

const bus = realLikeBus(1);
const dbc = parseDbc(bus.dbcText, DBC_FILE);
const seconds = bus.durationMs / 1000;
const key = (f: { id: number; extended: boolean }): string => `${f.extended ? 'x' : 's'}${f.id}`;
const framesOf = (name: string): RealLikeFrame[] => bus.frames.filter((f) => f.message === name);
const message = (name: string): DbcMessage => dbc.messages.find((m) => m.name === name)!;
const signal = (m: DbcMessage, name: string): DbcSignal => m.signals.find((s) => s.name === name)!;
const sinceStart = (timeMs: number): number => timeMs - bus.startUs / 1000;

function intervalsMs(frames: readonly RealLikeFrame[]): number[] {
  return frames.slice(1).map((f, i) => (f.timeUs - frames[i]!.timeUs) / 1000);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

void t.test('traffic like a real car: ~900 frames/s over ~90 ids, mostly 8 bytes, some 29-bit', async (t) => {
  const rate = bus.frames.length / seconds;
  const ids = new Set(bus.frames.map(key));
  t.ok(rate >= 800 && rate <= 1000, `${rate.toFixed(0)} frames/s`);
  t.ok(ids.size >= 85 && ids.size <= 95, `${ids.size} ids on the bus`);
  t.equal(dbc.messages.length, ids.size, 'every DBC message is sent');
  t.ok(dbc.messages.filter((m) => m.extended).length >= 4, 'some 29-bit ids');
  t.ok(dbc.messages.filter((m) => m.length === 8).length >= 0.9 * dbc.messages.length, 'mostly 8-byte messages');
  t.ok(bus.frames.every((f, i) => i === 0 || f.timeUs >= bus.frames[i - 1]!.timeUs), 'in time order');
  t.ok(seconds >= 300 && seconds <= 420, `${seconds.toFixed(0)} s of driving`);
});

void t.test('the DBC has no cycle time at all, Intel and Motorola signals, counters and checksums, and a multiplexer', async (t) => {
  t.notMatch(bus.dbcText, /GenMsgCycleTime|BA_DEF_|BA_ /, 'no attribute definitions, so no GenMsgCycleTime');
  t.same(dbc.messages.filter((m) => m.cycleTimeMs !== undefined).map((m) => m.name), [], 'the parser finds no cycle time');
  t.same(dbc.warnings, [], 'parses cleanly');
  const signals = dbc.messages.flatMap((m) => m.signals);
  t.ok(signals.filter((s) => s.byteOrder === 'motorola').length >= 40, 'Motorola signals');
  t.ok(signals.filter((s) => s.byteOrder === 'intel').length >= 100, 'Intel signals');
  t.ok(dbc.messages.filter((m) => m.signals.some((s) => s.name.endsWith('_CRC')) && m.signals.some((s) => s.name.endsWith('_BZ'))).length >= 10, 'messages with a checksum and a counter');
  t.ok(message(MESSAGES.multiplexed).signals.some((s) => s.multiplexer === 'switch'), `${MESSAGES.multiplexed} is multiplexed`);
  t.equal(signal(message(MESSAGES.multiplexed), 'ESP_Mux_v_Anzeige').multiplexValue, 2);
  t.equal(signal(message(MESSAGES.speed), 'ESP_v_Signal').unit, 'Unit_KiloMeterPerHour');
  t.equal(signal(message(MESSAGES.vertical), 'IMU_Beschl_Vertikal').unit, 'g');
  t.equal(signal(message(MESSAGES.multiplexed), 'ESP_Mux_v_Anzeige').unit, 'mph');
  // Checksums are real: a CRC-8 over the other bytes, so a corrupted frame would show.
  const withCrc = framesOf(MESSAGES.speed).slice(0, 50);
  t.ok(new Set(withCrc.map((f) => f.data[0])).size >= 12, 'the checksum byte changes with the counter');
  const counters = withCrc.map((f) => decodeRawSignal(signal(message(MESSAGES.speed), 'ESP_21_BZ'), f.data));
  t.ok(counters.slice(1).every((c, i) => c === (counters[i]! + 1) % 16), 'the counter counts modulo 16');
});

void t.test('periods jitter by 10–20 %; the gear comes at ~1 Hz, wheel speeds at ~50 Hz, the steering angle at ~100 Hz', async (t) => {
  for (const [name, periodMs] of [
    [MESSAGES.speed, 20],
    [MESSAGES.wheels, 20],
    [MESSAGES.steering, 10],
    [MESSAGES.vertical, 20],
  ] as const) {
    // Without the stops of the message (bus.gaps), which are not periods.
    const intervals = intervalsMs(framesOf(name)).filter((ms) => ms < 2 * periodMs);
    const m = median(intervals);
    const spread = Math.max(...intervals.map((ms) => Math.abs(ms / m - 1)));
    t.ok(Math.abs(m - periodMs) <= 0.05 * periodMs, `${name}: median period ${m.toFixed(2)} ms`);
    t.ok(spread >= 0.08 && spread <= 0.21, `${name}: periods within ±${(spread * 100).toFixed(0)} % of the median`);
  }
  const wheelsHz = framesOf(MESSAGES.wheels).length / seconds;
  t.ok(wheelsHz >= 45 && wheelsHz <= 55, `wheel speeds at ${wheelsHz.toFixed(1)} Hz`);
  const gear = framesOf(MESSAGES.gear);
  const gearHz = gear.length / seconds;
  t.ok(gearHz >= 0.9 && gearHz <= 1.1, `gear at ${gearHz.toFixed(2)} Hz`);
  const gearIntervals = intervalsMs(gear);
  t.ok(Math.abs(median(gearIntervals) - 1000) <= 50, `gear: median period ${median(gearIntervals).toFixed(0)} ms`);
  t.ok(gearIntervals.filter((ms) => ms < 30).length >= 4, 'a change of gear is sent at once and repeated 20 ms apart');
});

void t.test('event-driven messages: quick repeats on a change, a slow heartbeat otherwise', async (t) => {
  for (const name of ['Blinkmodi_02', 'Parkhilfe_01', 'Klima_11']) {
    const intervals = intervalsMs(framesOf(name));
    t.ok(intervals.filter((ms) => ms < 30).length >= 10, `${name}: repeats after changes`);
    t.ok(median(intervals) >= 300, `${name}: heartbeat (median ${median(intervals).toFixed(0)} ms)`);
  }
});

void t.test('some frames are shorter than their DBC length, the signals in use inside them', async (t) => {
  const short = new Map<string, number>();
  for (const f of bus.frames) {
    const m = dbc.messages.find((x) => x.id === f.id && x.extended === f.extended)!;
    if (f.data.length < m.length) short.set(m.name, f.data.length);
  }
  t.ok(short.size >= 4, `short: ${[...short].map(([n, l]) => `${n} ${l}/8`).join(', ')}`);
  t.equal(short.get(MESSAGES.vertical), 6, 'the vertical acceleration comes in 6 of 8 bytes');
  t.ok(signal(message(MESSAGES.vertical), 'IMU_Beschl_Vertikal').startBit < 48, 'inside the 6 bytes');
});

void t.test('decoded through the DBC parser and the reference decoder, every mapped frame carries its intended VSS value', async (t) => {
  const speed = signal(message(MESSAGES.speed), 'ESP_v_Signal');
  const mux = message(MESSAGES.multiplexed);
  const muxSwitch = signal(mux, 'ESP_Mux_Index');
  const muxSpeed = signal(mux, 'ESP_Mux_v_Anzeige');
  const angle = signal(message(MESSAGES.steering), 'LWI_Lenkradwinkel');
  const angleSign = signal(message(MESSAGES.steering), 'LWI_VZ_Lenkradwinkel');
  const gear = signal(message(MESSAGES.gear), 'GE_Fahrstufe');
  const vertical = signal(message(MESSAGES.vertical), 'IMU_Beschl_Vertikal');
  const wheels = ['ESP_VL_Radgeschw_02', 'ESP_VR_Radgeschw_02', 'ESP_HL_Radgeschw_02', 'ESP_HR_Radgeschw_02'].map((n) => signal(message(MESSAGES.wheels), n));
  const checked = new Map<string, number>();
  const wrong: string[] = [];
  const check = (vss: string, decoded: number | undefined, intended: number | undefined, tolerance: number, f: RealLikeFrame): void => {
    checked.set(vss, (checked.get(vss) ?? 0) + 1);
    if (decoded === undefined || intended === undefined || Math.abs(decoded - intended) > tolerance + 1e-9) wrong.push(`${f.message} at ${(f.timeUs - bus.startUs) / 1e6} s: ${vss} ${decoded} ≠ ${intended}`);
  };
  for (const f of bus.frames) {
    const want = f.intended;
    switch (f.message) {
      case MESSAGES.speed:
        check(SPEED, decodeSignal(speed, f.data), want?.[SPEED], speed.factor / 2, f);
        break;
      case MESSAGES.multiplexed:
        if (decodeRawSignal(muxSwitch, f.data) === 2) check(`${SPEED} (mph)`, decodeSignal(muxSpeed, f.data) * KMH_PER_MPH, want?.[SPEED], (muxSpeed.factor / 2) * KMH_PER_MPH, f);
        else if (want?.[SPEED] !== undefined) wrong.push(`${f.message}: speed meant in a frame that does not carry it`);
        break;
      case MESSAGES.steering:
        check(STEERING, decodeSignal(angle, f.data) * (decodeRawSignal(angleSign, f.data) === 1 ? -1 : 1), want?.[STEERING], angle.factor / 2, f);
        break;
      case MESSAGES.gear:
        check(GEAR, GEAR_CODES[String(decodeRawSignal(gear, f.data))], want?.[GEAR], 0, f);
        break;
      case MESSAGES.vertical:
        check(VERTICAL, decodeSignal(vertical, f.data) * STANDARD_GRAVITY, want?.[VERTICAL], (vertical.factor / 2) * STANDARD_GRAVITY, f);
        break;
      case MESSAGES.wheels:
        wheels.forEach((w, i) => check(WHEELS[i]!, decodeSignal(w, f.data), want?.[WHEELS[i]!], w.factor / 2, f));
        break;
    }
  }
  t.same(wrong.slice(0, 5), [], `${wrong.length} frames decode to something else than meant`);
  t.ok([...checked.values()].every((n) => n >= 300), `checked ${[...checked].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
});

void t.test('the drive: phases in order, gaps where stated, the speed in one multiplexed frame of four', async (t) => {
  t.same(
    bus.phases.map((p) => `${p.name}:${p.expected}`),
    ['parked:parked', 'pull-away:city', 'city:city', 'car-park:city', 'on-ramp:city', 'highway:highway', 'exit:city', 'offroad:offroad', 'city-again:city', 'speed-lost:unknown', 'city-after-gap:city', 'park:parked'],
  );
  t.ok(bus.phases.every((p, i) => p.endMs > p.startMs && (i === 0 || p.startMs === bus.phases[i - 1]!.endMs)), 'contiguous');
  t.ok(bus.phases.every((p) => p.settleMs < p.endMs - p.startMs), 'each phase lasts longer than it takes to settle');
  for (const gap of bus.gaps) {
    const carriers = framesOf(gap.message);
    t.equal(carriers.filter((f) => f.timeUs / 1000 >= gap.startMs && f.timeUs / 1000 < gap.endMs).length, 0, `${gap.kind}: no ${gap.message} frame for ${gap.endMs - gap.startMs} ms`);
    t.ok(carriers.some((f) => f.timeUs / 1000 >= gap.endMs && f.timeUs / 1000 < gap.endMs + 1100), `${gap.kind}: ${gap.message} comes back`);
  }
  t.same(
    bus.gaps.map((g) => [g.kind, g.endMs - g.startMs]),
    [
      ['optional-vertical', 2000],
      ['speed-short', 600],
      ['optional-gear', 2000],
      ['speed-long', 3500],
    ],
  );
  const speedCarriers = framesOf(MESSAGES.multiplexed).filter((f) => f.intended?.[SPEED] !== undefined);
  t.ok(Math.abs(median(intervalsMs(speedCarriers)) - 80) <= 4, `speed every ${median(intervalsMs(speedCarriers)).toFixed(1)} ms in ${MESSAGES.multiplexed}`);
  const city = bus.phases.find((p) => p.name === 'city')!;
  const citySpeeds = framesOf(MESSAGES.speed).filter((f) => f.timeUs / 1000 >= city.startMs && f.timeUs / 1000 < city.endMs).map((f) => f.intended![SPEED]!);
  t.ok(Math.max(...citySpeeds) <= 74 && Math.max(...citySpeeds) >= 62, `city up to ${Math.max(...citySpeeds).toFixed(0)} km/h`);
  t.ok(citySpeeds.filter((v) => v === 0).length >= 200, 'with stops');
  const highway = bus.phases.find((p) => p.name === 'highway')!;
  t.ok(bus.truthAt(highway.startMs + highway.settleMs).speedKmh > 90, 'highway above 90 km/h once settled');
});

void t.test('turns from rigid-body kinematics: wheel speeds and the steering angle', async (t) => {
  const tight = bus.turns.filter((turn) => turn.radiusM <= 8);
  const moderate = bus.turns.filter((turn) => turn.radiusM >= 12);
  t.equal(tight.length, 2, 'two tight turns (R 6–8 m)');
  t.equal(moderate.length, 2, 'two moderate turns (R 12–18 m)');
  t.same(bus.turns.map((turn) => turn.direction), ['left', 'right', 'left', 'right']);
  t.ok(tight.every((turn) => turn.spread >= 0.24 && turn.spread <= 0.36 && turn.speedKmh >= 15 && turn.speedKmh <= 17), `tight: wheels spread ${tight.map((x) => (x.spread * 100).toFixed(0)).join(', ')} %`);
  t.ok(moderate.every((turn) => turn.spread >= 0.08 && turn.spread <= 0.16 && turn.speedKmh >= 18 && turn.speedKmh <= 20), `moderate: wheels spread ${moderate.map((x) => (x.spread * 100).toFixed(0)).join(', ')} %`);
  const wheelFrames = framesOf(MESSAGES.wheels);
  const steerFrames = framesOf(MESSAGES.steering);
  for (const turn of bus.turns) {
    const kappa = (turn.direction === 'left' ? 1 : -1) / turn.radiusM;
    const [fl, fr, rl, rr] = kinematicFactors(kappa);
    const inArc = (f: RealLikeFrame): boolean => f.timeUs / 1000 >= turn.startMs && f.timeUs / 1000 < turn.endMs;
    const ratios = wheelFrames.filter(inArc).map((f) => [WHEELS[0], WHEELS[1], WHEELS[2], WHEELS[3]].map((w) => f.intended![w]! / bus.truthAt(f.timeUs / 1000).speedKmh));
    const mean = [0, 1, 2, 3].map((i) => ratios.reduce((sum, r) => sum + r[i]!, 0) / ratios.length);
    t.ok([fl, fr, rl, rr].every((want, i) => Math.abs(mean[i]! - want) < 0.005), `${turn.direction} R ${turn.radiusM.toFixed(1)} m: wheels at ${mean.map((m) => m.toFixed(3)).join('/')} of the speed`);
    t.ok(turn.direction === 'left' ? mean[2]! < mean[3]! : mean[2]! > mean[3]!, 'the inner rear wheel is the slowest side');
    const angles = steerFrames.filter(inArc).map((f) => f.intended![STEERING]!);
    const want = ((Math.atan(GEOMETRY.wheelbaseM * kappa) * 180) / Math.PI) * GEOMETRY.steeringRatio;
    t.ok(angles.every((a) => Math.abs(a - want) < 2), `steering wheel at ${want.toFixed(0)}° (positive to the left)`);
  }
});

void t.test('off-road: wheels slip 20–40 % irregularly, vertical acceleration RMS far above the road', async (t) => {
  const inside = (f: RealLikeFrame, from: number, to: number): boolean => f.timeUs / 1000 >= from && f.timeUs / 1000 < to;
  const { startMs, endMs } = bus.offroad;
  const slips = framesOf(MESSAGES.wheels)
    .filter((f) => inside(f, startMs + 1000, endMs))
    .map((f) => {
      const truth = bus.truthAt(f.timeUs / 1000);
      const factors = kinematicFactors(truth.curvature);
      return WHEELS.map((w, i) => f.intended![w]! / (truth.speedKmh * factors[i]!) - 1);
    });
  const slipping = slips.filter((s) => Math.max(...s) >= 0.1);
  t.ok(slipping.length >= 0.6 * slips.length, `a wheel slips ≥ 10 % in ${((100 * slipping.length) / slips.length).toFixed(0)} % of the frames`);
  const peak = Math.max(...slips.flat());
  t.ok(peak >= 0.2 && peak <= 0.41, `peak slip ${(peak * 100).toFixed(0)} %`);
  t.ok([0, 1, 2, 3].filter((i) => slips.some((s) => s[i]! >= 0.15)).length >= 3, 'more than one wheel slips');
  const rms = (from: number, to: number): number => {
    const g = framesOf(MESSAGES.vertical).filter((f) => inside(f, from, to)).map((f) => f.intended![VERTICAL]! / STANDARD_GRAVITY);
    return Math.sqrt(g.reduce((sum, x) => sum + x * x, 0) / g.length);
  };
  const city = bus.phases.find((p) => p.name === 'city')!;
  t.ok(rms(startMs + 1000, endMs) >= 0.2, `off-road vertical RMS ${rms(startMs + 1000, endMs).toFixed(2)} g`);
  t.ok(rms(city.startMs, city.endMs) <= 0.05, `city vertical RMS ${rms(city.startMs, city.endMs).toFixed(3)} g`);
  const tightTurn = bus.turns[0]!;
  t.ok(sinceStart(tightTurn.startMs) < sinceStart(startMs), 'the tight turns come before the off-road stretch');
});

void t.test('deterministic for a seed, different across seeds', async (t) => {
  const digest = (frames: readonly RealLikeFrame[]): string => {
    const hash = createHash('sha256');
    for (const f of frames) hash.update(`${f.timeUs} ${key(f)} `).update(f.data);
    return hash.digest('hex');
  };
  const again = realLikeBus(1);
  t.equal(digest(again.frames), digest(bus.frames), 'the same seed gives the same frames');
  t.same(again.phases, bus.phases);
  const other = realLikeBus(2);
  t.not(digest(other.frames), digest(bus.frames), 'another seed gives another drive');
  t.not(other.phases[2]!.endMs, bus.phases[2]!.endMs, 'with other phase boundaries');
  t.equal(other.dbcText, bus.dbcText, 'on the same vehicle');
});

void t.test('writeRealLikeVehicle writes a folder the CLI can run on; the log reads back frame for frame', async (t) => {
  const dir = t.testdir();
  const written = writeRealLikeVehicle(dir, 1);
  for (const file of [DBC_FILE, 'signals.json', 'drive.log']) t.ok(existsSync(join(dir, file)), file);
  t.same(JSON.parse(readFileSync(join(dir, 'signals.json'), 'utf8')), written.signalMap);
  const lines = readFileSync(join(dir, 'drive.log'), 'utf8').trimEnd().split('\n');
  t.equal(lines.length, bus.frames.length, 'one line per frame');
  const mismatches = lines.filter((line, i) => {
    const a = parseCandumpLine(line);
    const b = bus.frames[i]!;
    return a.timeUs !== b.timeUs || a.id !== b.id || a.extended !== b.extended || Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) !== 0;
  });
  t.equal(mismatches.length, 0, 'every line is its frame');
  t.same(written.signalMap.geometry, { wheelbaseM: GEOMETRY.wheelbaseM, trackM: GEOMETRY.trackM });
  t.same(written.signalMap.signals[STEERING]!.sign, { signal: 'LWI_VZ_Lenkradwinkel', negativeWhen: 1 });
  t.ok(Object.values(written.signalMap.signals).every((e) => e.maxAgeMs === undefined && e.factor === undefined), 'no maximum age and no factor: both come from the bus and the DBC');
});

void t.test('contract: the written folder loads as a vehicle (the mapping keys sign, geometry and $schema)', async (t) => {
  const dir = t.testdir();
  writeVehicleFolder(dir, { dbcText: bus.dbcText, signalMap: signalMap('multiplexed') });
  const vehicle = loadVehicle(dir);
  t.equal(vehicle.signals.length, 8, 'eight VSS signals');
  t.equal(vehicle.signals.find((s) => s.vss === SPEED)?.signal.name, 'ESP_Mux_v_Anzeige', 'speed from the multiplexed value');
});
