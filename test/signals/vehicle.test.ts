import t, { type Test } from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parseCandumpLine } from '../../src/can/candump-line.js';
import type { CanFrame } from '../../src/can/can-frame.js';
import { packageRoot } from '../../src/common/package-root.js';
import { readJsonDocument } from '../../src/common/schema.js';
import { parseDriveProfile, synthesizeDrive } from '../../src/signals/drive-synth.js';
import { encodeMessage } from '../../src/signals/message-codec.js';
import { SignalDecoder } from '../../src/signals/signal-decoder.js';
import { loadVehicle } from '../../src/signals/signal-map.js';

const DEMO = join(packageRoot(), 'vehicles/demo');
const demo = loadVehicle(DEMO);

function frame(message: string, values: Record<string, number>, timeUs: number, length?: number): CanFrame {
  const m = demo.dbc.messages.find((x) => x.name === message)!;
  const data = encodeMessage(m, values);
  return { timeUs, iface: 'vcan0', id: m.id, extended: m.extended, fd: false, remote: false, error: false, data: length === undefined ? data : data.subarray(0, length) };
}

void t.test('the demo vehicle maps nine VSS signals with ages from GenMsgCycleTime', async (t) => {
  t.equal(demo.name, 'demo');
  t.equal(demo.signals.length, 9);
  const speed = demo.signals.find((s) => s.vss === 'Vehicle.Speed')!;
  t.equal(speed.maxAgeMs, 60, '3 × 20 ms');
  t.equal(demo.signals.find((s) => s.vss === 'Vehicle.Powertrain.Transmission.CurrentGear')!.maxAgeMs, 300);
});

void t.test('decoding: values in VSS units, Motorola and signed signals, staleness', async (t) => {
  const d = new SignalDecoder(demo);
  t.equal(d.accept(frame('VehicleSpeed', { Speed: 87.65, SpeedValid: 1 }, 1_000_000)), true);
  t.equal(d.accept(frame('Chassis', { AccelVertical: -1.234, AccelLongitudinal: 0.5, SteeringAngle: -12.3 }, 1_005_000)), true);
  t.equal(d.accept(frame('WheelSpeeds', { WheelSpeedFL: 10.01, WheelSpeedFR: 20.02, WheelSpeedRL: 30.03, WheelSpeedRR: 40.04 }, 1_006_000)), true);
  t.equal(d.read('Vehicle.Speed', 1_010_000), 87.65);
  t.equal(d.read('Vehicle.Acceleration.Vertical', 1_010_000), -1.234);
  t.equal(d.read('Vehicle.Chassis.SteeringWheel.Angle', 1_010_000), -12.3);
  t.equal(d.read('Vehicle.Chassis.Axle.Row2.Wheel.Right.Speed', 1_010_000), 40.04);
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 1_010_000), undefined, 'never received');
  t.equal(d.read('Vehicle.Speed', 1_060_000), 87.65, 'exactly at the maximum age');
  t.equal(d.read('Vehicle.Speed', 1_060_001), undefined, 'stale one microsecond later');
  const snap = d.snapshot(1_010_000);
  t.same(snap['Vehicle.Speed'], { value: 87.65, ageMs: 10 });
  t.equal(snap['Vehicle.Powertrain.Transmission.CurrentGear'], null);
});

void t.test('a short frame gives the signals it carries; other messages, remote frames and the other id space are ignored', async (t) => {
  const d = new SignalDecoder(demo);
  t.equal(d.accept(frame('VehicleSpeed', { Speed: 50 }, 1_000_000, 2)), true, 'Speed is bits 0–15: two bytes carry it');
  t.equal(d.accept(frame('WheelSpeeds', { WheelSpeedFL: 10, WheelSpeedFR: 20, WheelSpeedRL: 30, WheelSpeedRR: 40 }, 1_000_000, 5)), true);
  t.equal(d.accept({ ...frame('VehicleSpeed', { Speed: 60 }, 1_000_000), id: 0x7ff }), false);
  t.equal(d.accept({ ...frame('VehicleSpeed', { Speed: 60 }, 1_000_000), extended: true }), false, 'same id, 29-bit: another message');
  t.equal(d.accept({ ...frame('VehicleSpeed', { Speed: 60 }, 1_000_000), remote: true }), false);
  t.equal(d.accept(frame('WheelSpeeds', { WheelSpeedFL: 10 }, 1_000_000, 1)), true, 'one byte: no wheel speed fits');
  t.same(d.stats, { decoded: 2, ignored: 3, short: 3, unusable: 1 });
  t.same(d.tally('Vehicle.Speed'), { frames: 1, min: 50, max: 50, unmapped: new Map() });
  t.same(d.tally('Vehicle.Chassis.Axle.Row1.Wheel.Right.Speed')!.frames, 1, 'FR ends in byte 4 of 5');
  t.same(d.tally('Vehicle.Chassis.Axle.Row2.Wheel.Left.Speed')!.frames, 0, 'RL starts in byte 5: not in the frame');
});

void t.test('a signal map naming what the DBC lacks lists every problem', async (t) => {
  const dir = t.testdir({
    'signals.json': JSON.stringify({
      dbc: join(DEMO, 'demo.dbc'),
      signals: { 'Vehicle.Speed': { message: 'Nope', signal: 'Speed' }, 'Vehicle.Roof': { message: 'Chassis', signal: 'Sunroof' }, 'vehicle.bad': { message: 'Chassis', signal: 'AccelVertical' } },
    }),
  });
  const file = join(dir, 'signals.json');
  t.throws(() => loadVehicle(dir), { code: 'E_DOCUMENT', problems: [{ file, path: '/signals', message: 'must match pattern "^Vehicle(\\.[A-Z][A-Za-z0-9]*)+$"' }, { file, path: '/signals', message: 'property name must be valid' }] });
  writeFileSync(file, JSON.stringify({ dbc: join(DEMO, 'demo.dbc'), signals: { 'Vehicle.Speed': { message: 'Nope', signal: 'Speed' }, 'Vehicle.Roof': { message: 'Chassis', signal: 'Sunroof' } } }));
  t.throws(() => loadVehicle(dir), {
    code: 'E_DOCUMENT',
    problems: [
      { file, path: '/signals/Vehicle.Speed', message: `message "Nope" is not in ${join(DEMO, 'demo.dbc')}` },
      { file, path: '/signals/Vehicle.Roof', message: `signal "Sunroof" in message "Chassis" is not in ${join(DEMO, 'demo.dbc')}` },
    ],
  });
});

void t.test('the bundled drive is exactly what the generator makes from its profile', async (t) => {
  const file = join(DEMO, 'drive-profile.json');
  const profile = parseDriveProfile(readJsonDocument(file, (f) => readFileSync(f, 'utf8')), file);
  const generated = synthesizeDrive(demo, profile);
  const committed = readFileSync(join(DEMO, 'drive.log'), 'utf8');
  t.ok(generated === committed, 'regenerating gives the same bytes (run `npm run drive:demo` after changing the profile)');
  const lines = committed.trimEnd().split('\n');
  const first = parseCandumpLine(lines[0]!);
  const last = parseCandumpLine(lines.at(-1)!);
  t.equal(Math.round((last.timeUs - first.timeUs) / 1e6), 185, 'about three minutes of driving');
});

void t.test('the drive decodes back to its profile: parked, motorway speed, rough track', async (t) => {
  const d = new SignalDecoder(demo);
  const seen: Record<string, number[]> = { parkedGear: [], motorwaySpeed: [], roughVertical: [] };
  const start = parseCandumpLine(readFileSync(join(DEMO, 'drive.log'), 'utf8').split('\n', 1)[0]!).timeUs;
  for (const line of readFileSync(join(DEMO, 'drive.log'), 'utf8').trimEnd().split('\n')) {
    const f = parseCandumpLine(line);
    d.accept(f);
    const s = (f.timeUs - start) / 1e6;
    if (s > 5 && s < 10) seen.parkedGear!.push(d.read('Vehicle.Powertrain.Transmission.CurrentGear', f.timeUs) ?? NaN);
    if (s > 80 && s < 114) seen.motorwaySpeed!.push(d.read('Vehicle.Speed', f.timeUs) ?? NaN);
    if (s > 140 && s < 160 && f.id === 0x2c0) seen.roughVertical!.push(d.read('Vehicle.Acceleration.Vertical', f.timeUs) ?? NaN);
  }
  t.ok(seen.parkedGear!.every((g) => g === 126), 'gear P while parked');
  t.ok(seen.motorwaySpeed!.every((v) => v > 110 && v < 125), 'motorway speed 115–122 km/h');
  const rms = Math.sqrt(seen.roughVertical!.reduce((a, v) => a + v * v, 0) / seen.roughVertical!.length);
  t.ok(rms > 2.5 && rms < 4, `vertical RMS on the track ≈ 3.2 m/s² (${rms.toFixed(2)})`);
});

const CORPUS_DIR = join(packageRoot(), '../shared/dbc/opendbc');
const corpusOptions = existsSync(CORPUS_DIR) || process.env.CI ? {} : { skip: `no DBC corpus at ${CORPUS_DIR}` };

void t.test('a real vehicle from the corpus: Toyota Prius 2010, found through PERSONA_DBC_PATH, mph to km/h, gear codes to VSS, ages learned', corpusOptions, async (t) => {
  const dir = join(packageRoot(), 'vehicles/toyota-prius-2010');
  t.throws(() => loadVehicle(dir, {}), {
    code: 'E_DOCUMENT',
    problems: [{ file: join(dir, 'signals.json'), path: '/dbc', message: `toyota_prius_2010_pt.dbc not found (looked at ${join(dir, 'toyota_prius_2010_pt.dbc')}; PERSONA_DBC_PATH is not set)` }],
  });
  const prius = loadVehicle(dir, { PERSONA_DBC_PATH: ['/nonexistent', CORPUS_DIR].join(delimiter) });
  t.equal(prius.signals.length, 8);
  t.ok(prius.signals.every((s) => s.maxAgeSource === 'observed' && s.maxAgeMs === undefined), 'opendbc gives no cycle times');
  t.equal(prius.signals.find((s) => s.vss === 'Vehicle.Speed')!.factor.toFixed(9), '1.609344000', 'mph from the DBC, km/h for VSS, with no factor in the map');
  const d = new SignalDecoder(prius);
  const send = (message: string, values: Record<string, number>, timeUs: number) => {
    const m = prius.dbc.messages.find((x) => x.name === message)!;
    d.accept({ timeUs, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, values) });
  };
  send('SPEED', { SPEED: 62.1372 }, 1_000_000);
  t.equal(d.read('Vehicle.Speed', 1_000_000), undefined, 'one frame says nothing about the period: still learning');
  t.same(d.freshness(1_000_000)['Vehicle.Speed'], { maxAgeMs: null, source: 'observed', periodMs: null, ageMs: 0 });
  send('SPEED', { SPEED: 62.1372 }, 1_020_000);
  send('SPEED', { SPEED: 62.1372 }, 1_040_000);
  t.equal(Math.round(d.read('Vehicle.Speed', 1_040_000)! * 100) / 100, 100, '62.14 mph ≈ 100 km/h (0.0062 mph resolution)');
  t.same(d.freshness(1_050_000)['Vehicle.Speed'], { maxAgeMs: 60, source: 'observed', periodMs: 20, ageMs: 10 }, 'two intervals of 20 ms: stale after 3 × 20 ms');
  t.equal(d.read('Vehicle.Speed', 1_100_001), undefined, 'stale after 60 ms');
  for (let ms = 0; ms <= 3000; ms += 1000) send('GEAR_PACKET', { GEAR: ms === 3000 ? 1 : 0 }, 2_000_000 + ms * 1000);
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 5_000_000), -1, 'R → VSS reverse');
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 7_900_000), -1, 'a 1 Hz gear is fresh for 3 s, not 300 ms');
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 8_000_001), undefined, 'and stale after');
  send('GEAR_PACKET', { GEAR: 9 }, 6_000_000);
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 6_000_000), -1, 'an unlisted code is not a value: the last one stands until it ages out');
  t.same(d.tally('Vehicle.Powertrain.Transmission.CurrentGear'), { frames: 5, min: -1, max: 126, unmapped: new Map([[9, 1]]) });
  send('WHEEL_SPEEDS', { WHEEL_SPEED_FL: 10, WHEEL_SPEED_FR: 10, WHEEL_SPEED_RL: 10, WHEEL_SPEED_RR: 10 }, 9_000_000);
  send('WHEEL_SPEEDS', { WHEEL_SPEED_FL: 10, WHEEL_SPEED_FR: 10, WHEEL_SPEED_RL: 10, WHEEL_SPEED_RR: 10 }, 9_020_000);
  send('WHEEL_SPEEDS', { WHEEL_SPEED_FL: 10, WHEEL_SPEED_FR: 10, WHEEL_SPEED_RL: 10, WHEEL_SPEED_RR: 10 }, 9_040_000);
  t.equal(Math.round(d.read('Vehicle.Chassis.Axle.Row1.Wheel.Left.Speed', 9_040_000)! * 10) / 10, 16.1, 'the DBC offset is in mph too');
});

/** A vehicle folder with its own small DBC, for the mapping features real buses need. */
function quirkyVehicle(t: Test, signals: object, extra: object = {}): string {
  return t.testdir({
    'quirky.dbc': `VERSION ""
BU_: ECU
BO_ 134 LWI_01: 8 ECU
 SG_ LWI_Lenkradwinkel : 16|13@1+ (0.1,0) [0|800] "Unit_DegreOfArc" ECU
 SG_ LWI_VZ_Lenkradwinkel : 29|1@1+ (1,0) [0|1] "" ECU
BO_ 253 ESP_21: 8 ECU
 SG_ ESP_v_Signal : 32|16@1+ (0.01,0) [0|655.32] "Unit_KiloMeterPerHour" ECU
 SG_ ESP_Vert_Beschl : 0|16@1- (0.001,0) [-32|32] "g" ECU
 SG_ ESP_Lenkwinkel : 16|16@1- (0.001,0) [-10|10] "rad" ECU
BO_ 300 Mux: 8 ECU
 SG_ Page M : 0|2@1+ (1,0) [0|3] "" ECU
 SG_ WheelSpeed m1 : 8|16@1+ (0.01,0) [0|655] "mph" ECU
 SG_ Odometer m2 : 8|24@1+ (1,0) [0|16777215] "km" ECU
BO_ 400 Nameless: 8 ECU
 SG_ Accel : 0|16@1- (0.01,0) [-300|300] "" ECU
`,
    'signals.json': JSON.stringify({ dbc: 'quirky.dbc', signals, ...extra }),
  });
}

void t.test('a sign that comes as a separate signal, as VW sends the steering angle', async (t) => {
  const dir = quirkyVehicle(t, { 'Vehicle.Chassis.SteeringWheel.Angle': { message: 'LWI_01', signal: 'LWI_Lenkradwinkel', sign: { signal: 'LWI_VZ_Lenkradwinkel', negativeWhen: 1 }, maxAgeMs: 100 } });
  const v = loadVehicle(dir);
  const m = v.dbc.messages.find((x) => x.name === 'LWI_01')!;
  const d = new SignalDecoder(v);
  const at = (values: Record<string, number>, timeUs: number): number | undefined => {
    d.accept({ timeUs, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, values) });
    return d.read('Vehicle.Chassis.SteeringWheel.Angle', timeUs);
  };
  t.equal(at({ LWI_Lenkradwinkel: 123.4, LWI_VZ_Lenkradwinkel: 0 }, 1000), 123.4, 'degrees of arc need no conversion');
  t.equal(at({ LWI_Lenkradwinkel: 123.4, LWI_VZ_Lenkradwinkel: 1 }, 2000), -123.4, 'the sign bit set: negative');
  t.same(v.signals[0]!.maxAgeSource, 'mapping');
  const log = synthesizeDrive(v, { seed: 1, startTime: 1767258000, iface: 'can0', segments: [{ label: 'slalom', seconds: 7, speedKmh: [30, 30], gear: 127, roughness: 0, steeringDeg: 90 }] });
  const synthesized = new SignalDecoder(v);
  const angles = log.trimEnd().split('\n').map((line) => {
    const f = parseCandumpLine(line);
    synthesized.accept(f);
    return synthesized.read('Vehicle.Chassis.SteeringWheel.Angle', f.timeUs);
  });
  t.ok(angles.some((a) => a! > 80) && angles.some((a) => a! < -80), 'persona synth writes the magnitude and the sign bit: a slalom reads both ways');
  const bad = quirkyVehicle(t, { 'Vehicle.Chassis.SteeringWheel.Angle': { message: 'LWI_01', signal: 'LWI_Lenkradwinkel', sign: { signal: 'ESP_v_Signal', negativeWhen: 1 } } });
  t.throws(() => loadVehicle(bad), { code: 'E_DOCUMENT', problems: [{ path: '/signals/Vehicle.Chassis.SteeringWheel.Angle/sign/signal', message: 'signal "ESP_v_Signal" is not in message "LWI_01": a sign must come in the same frame as its value' }] });
});

void t.test('DBC units as real files write them are converted to the VSS unit', async (t) => {
  const dir = quirkyVehicle(t, {
    'Vehicle.Speed': { message: 'ESP_21', signal: 'ESP_v_Signal' },
    'Vehicle.Acceleration.Vertical': { message: 'ESP_21', signal: 'ESP_Vert_Beschl' },
    'Vehicle.Chassis.SteeringWheel.Angle': { message: 'ESP_21', signal: 'ESP_Lenkwinkel' },
    'Vehicle.Acceleration.Longitudinal': { message: 'Nameless', signal: 'Accel', dbcUnit: 'm/s^2' },
    'Vehicle.Acceleration.Lateral': { message: 'Nameless', signal: 'Accel' },
  });
  const v = loadVehicle(dir);
  const factor = (vss: string) => v.signals.find((s) => s.vss === vss)!.factor;
  t.equal(factor('Vehicle.Speed'), 1, 'Unit_KiloMeterPerHour is km/h');
  t.equal(factor('Vehicle.Acceleration.Vertical'), 9.80665, 'g to m/s²');
  t.equal(factor('Vehicle.Chassis.SteeringWheel.Angle'), 180 / Math.PI, 'rad to degrees');
  t.equal(factor('Vehicle.Acceleration.Longitudinal'), 1, 'dbcUnit says what the DBC does not');
  t.same(v.warnings, [`${join(dir, 'signals.json')}: /signals/Vehicle.Acceleration.Lateral: the DBC gives no unit for Accel: read as m/s² (set dbcUnit, or factor and offset, if it is not)`]);
  const m = v.dbc.messages.find((x) => x.name === 'ESP_21')!;
  const d = new SignalDecoder(v);
  d.accept({ timeUs: 0, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, { ESP_v_Signal: 87.5, ESP_Vert_Beschl: -0.5 }) });
  d.accept({ timeUs: 10_000, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, { ESP_v_Signal: 87.5, ESP_Vert_Beschl: -0.5 }) });
  d.accept({ timeUs: 20_000, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, { ESP_v_Signal: 87.5, ESP_Vert_Beschl: -0.5 }) });
  t.equal(d.read('Vehicle.Speed', 20_000), 87.5);
  t.equal(d.read('Vehicle.Acceleration.Vertical', 20_000), -0.5 * 9.80665);
  const wrong = quirkyVehicle(t, { 'Vehicle.Speed': { message: 'ESP_21', signal: 'ESP_Lenkwinkel' }, 'Vehicle.Acceleration.Vertical': { message: 'ESP_21', signal: 'ESP_Vert_Beschl', unit: 'g' } });
  t.throws(() => loadVehicle(wrong), {
    code: 'E_DOCUMENT',
    problems: [
      { path: '/signals/Vehicle.Speed', message: 'ESP_Lenkwinkel is in rad: rad is a unit of angle, km/h of speed' },
      { path: '/signals/Vehicle.Acceleration.Vertical', message: 'unit "g": VSS defines Vehicle.Acceleration.Vertical in m/s²' },
    ],
  });
});

void t.test('a speed in a multiplexed message: fresh by the frames that carry it, not by the message', async (t) => {
  const dir = quirkyVehicle(t, { 'Vehicle.Speed': { message: 'Mux', signal: 'WheelSpeed' } }, { geometry: { wheelbaseM: 3.1 } });
  const v = loadVehicle(dir);
  t.same(v.geometry, { wheelbaseM: 3.1, trackM: 1.6 }, 'geometry from the map over the defaults');
  const m = v.dbc.messages.find((x) => x.name === 'Mux')!;
  const d = new SignalDecoder(v);
  // Pages 1, 2, 3, 1, 2, 3 … every 10 ms: the speed comes every 30 ms.
  for (let k = 0; k < 12; k++) {
    const page = (k % 3) + 1;
    d.accept({ timeUs: k * 10_000, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, { Page: page, WheelSpeed: 31.0686, Odometer: 1234 }) });
  }
  t.equal(Math.round(d.read('Vehicle.Speed', 110_000)! * 100) / 100, 50, 'mph to km/h');
  t.same(d.freshness(110_000)['Vehicle.Speed'], { maxAgeMs: 90, source: 'observed', periodMs: 30, ageMs: 20 });
  t.equal(d.tally('Vehicle.Speed')!.frames, 4);
});

void t.test('a period learned from the bus shrugs off jitter, one long gap and a clock step, and covers a heartbeat', async (t) => {
  const dir = quirkyVehicle(t, { 'Vehicle.Speed': { message: 'ESP_21', signal: 'ESP_v_Signal' } });
  const v = loadVehicle(dir);
  const m = v.dbc.messages.find((x) => x.name === 'ESP_21')!;
  const d = new SignalDecoder(v);
  const send = (timeUs: number) => d.accept({ timeUs, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, { ESP_v_Signal: 50 }) });
  let us = 0;
  for (let k = 0; k < 40; k++) send((us += k % 2 === 0 ? 16_000 : 24_000));
  t.same(d.freshness(us)['Vehicle.Speed']!.maxAgeMs, 72, '20 ms ± 4 ms: 3 × the 90th percentile');
  send((us += 2_000_000));
  t.same(d.freshness(us)['Vehicle.Speed']!.maxAgeMs, 72, 'a 2 s stop is one interval among 32: it moves nothing');
  for (let k = 0; k < 31; k++) send((us += 20_000));
  t.same(d.freshness(us)['Vehicle.Speed']!.maxAgeMs, 60, '20 ms exactly now: 3 × 20');
  send((us += 3_600_000_000));
  t.same(d.freshness(us)['Vehicle.Speed']!.maxAgeMs, 60, 'a clock stepping an hour forward moves nothing either');
  t.equal(d.read('Vehicle.Speed', us + 60_000), 50, 'fresh 60 ms after the last frame');
  t.equal(d.read('Vehicle.Speed', us + 61_000), undefined, 'stale after');
  t.equal(d.read('Vehicle.Speed', us - 1_000), undefined, 'a value from after the time asked for (CAN time stepped back) is no reading of it');
  send(us - 10_000_000);
  t.equal(d.read('Vehicle.Speed', us - 10_000_000), 50, 'frames after a step back read at once');
  t.same(d.freshness(us - 10_000_000)['Vehicle.Speed']!.maxAgeMs, 60, 'and the step back is no interval');
  const beat = new SignalDecoder(v);
  us = 0;
  for (let k = 0; k < 40; k++) beat.accept({ timeUs: (us += k % 10 === 9 ? 1_000_000 : 10_000), iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, { ESP_v_Signal: 50 }) });
  t.same(beat.freshness(us)['Vehicle.Speed']!.maxAgeMs, 1500, 'sent on change with a 1 s heartbeat: the heartbeat repeats, stale only after 1.5 of them');
});

void t.test('a float signal that carries Infinity or NaN gives no value', async (t) => {
  const dir = t.testdir({
    'f.dbc': `VERSION ""
BU_: ECU
BO_ 100 Speed: 8 ECU
 SG_ V : 0|32@1- (1,0) [0|0] "km/h" ECU
SIG_VALTYPE_ 100 V : 1;
`,
    'signals.json': JSON.stringify({ dbc: 'f.dbc', signals: { 'Vehicle.Speed': { message: 'Speed', signal: 'V', maxAgeMs: 100 } } }),
  });
  const v = loadVehicle(dir);
  const m = v.dbc.messages[0]!;
  const d = new SignalDecoder(v);
  const send = (value: number, timeUs: number) => d.accept({ timeUs, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, { V: value }) });
  send(42, 0);
  send(Number.POSITIVE_INFINITY, 10_000);
  send(Number.NaN, 20_000);
  t.equal(d.read('Vehicle.Speed', 20_000), 42, 'the last finite value stands');
  t.same(d.tally('Vehicle.Speed'), { frames: 2, min: 42, max: 42, unmapped: new Map() }, 'NaN is no frame of the signal; Infinity is one, without a value');
});
