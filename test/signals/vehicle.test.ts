import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

void t.test('frames that do not fit are counted, not decoded', async (t) => {
  const d = new SignalDecoder(demo);
  t.equal(d.accept(frame('VehicleSpeed', { Speed: 50 }, 1_000_000, 4)), false);
  t.equal(d.accept({ ...frame('VehicleSpeed', { Speed: 50 }, 1_000_000), id: 0x7ff }), false);
  t.equal(d.accept({ ...frame('VehicleSpeed', { Speed: 50 }, 1_000_000), extended: true }), false, 'same id, 29-bit: another message');
  t.equal(d.accept({ ...frame('VehicleSpeed', { Speed: 50 }, 1_000_000), remote: true }), false);
  t.same(d.stats, { decoded: 0, ignored: 3, badLength: 1 });
  t.equal(d.read('Vehicle.Speed', 1_000_000), undefined);
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

void t.test('a real vehicle from the corpus: Toyota Prius 2010, mph to km/h and gear codes to VSS', async (t) => {
  const prius = loadVehicle(join(packageRoot(), 'vehicles/toyota-prius-2010'));
  t.equal(prius.signals.length, 8);
  const d = new SignalDecoder(prius);
  const send = (message: string, values: Record<string, number>, timeUs: number) => {
    const m = prius.dbc.messages.find((x) => x.name === message)!;
    d.accept({ timeUs, iface: 'can0', id: m.id, extended: false, fd: false, remote: false, error: false, data: encodeMessage(m, values) });
  };
  send('SPEED', { SPEED: 62.1372 }, 1_000_000);
  send('WHEEL_SPEEDS', { WHEEL_SPEED_FL: 10, WHEEL_SPEED_FR: 10, WHEEL_SPEED_RL: 10, WHEEL_SPEED_RR: 10 }, 1_000_000);
  send('GEAR_PACKET', { GEAR: 0 }, 1_000_000);
  t.equal(Math.round(d.read('Vehicle.Speed', 1_000_000)! * 100) / 100, 100, '62.14 mph ≈ 100 km/h (0.0062 mph resolution)');
  t.equal(Math.round(d.read('Vehicle.Chassis.Axle.Row1.Wheel.Left.Speed', 1_000_000)! * 10) / 10, 16.1);
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 1_000_000), 126, 'P → VSS park');
  send('GEAR_PACKET', { GEAR: 1 }, 1_100_000);
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 1_100_000), -1, 'R → VSS reverse');
  send('GEAR_PACKET', { GEAR: 9 }, 1_200_000);
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 1_200_000), -1, 'an unlisted code is not a value: the last one stands until it ages out');
  t.equal(d.read('Vehicle.Powertrain.Transmission.CurrentGear', 1_400_001), undefined, 'stale after 3 × the default 100 ms cycle');
});
