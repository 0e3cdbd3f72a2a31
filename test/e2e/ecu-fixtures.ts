/** What the host writes for the ECU under dist/, where the guest sees it read-only. */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDriveProfile, synthesizeDrive, type DriveProfile } from '../../src/signals/drive-synth.js';
import { loadVehicle } from '../../src/signals/signal-map.js';
import { condensedDemoDrive, SIGNAL_MAX_AGE_MS } from './condensed-drive.js';
import { BROKER, ECU, FIXTURES, HEAD_UNIT, root } from './ecu.js';

/** The files written. */
export interface EcuFixtures {
  /** The demo drive, condensed or whole (see endToEndDrive), as canplayer plays it. */
  driveLog: string;
  /** A parked car, to be played looped. */
  parkedLog: string;
  /** The source of a city manifest one version newer than the deployed one, to be signed in the guest. */
  cityV2: string;
}

/** The daemon's config as the integrator writes it for this ECU, its vehicle, what canplayer plays, and a newer manifest. */
export function writeEcuFixtures(): EcuFixtures {
  mkdirSync(FIXTURES, { recursive: true });
  const config = {
    $comment: 'The end-to-end ECU: its own broker, vcan0, the kernel backend, manifests in /etc, state in /var/lib.',
    ecuId: ECU,
    broker: BROKER,
    can: 'socketcan:vcan0',
    backend: 'kmod',
    vehicle: join(FIXTURES, 'vehicle'),
    statechart: join(root, 'statecharts/driving-context.json'),
    policy: '/etc/persona/manifests/policy.json',
    manifests: '/etc/persona/manifests',
    trust: '/etc/persona/manifests/trust',
    manifestState: '/var/lib/persona/manifest-state.json',
    holdState: '/var/lib/persona/holds.json',
    // TCG makes the guest's load high and uneven; the drive, not the emulator, is under test.
    workloadIntervalMs: 0,
    // The head unit may place holds; the broker here is anonymous, so it is known by the username it gives.
    apiClients: [{ client: HEAD_UNIT, role: 'app' }],
  };
  writeFileSync(join(FIXTURES, 'persona.config.json'), JSON.stringify(config, null, 2));

  // The demo vehicle, its signals stale only after a stall of the guest the drive survives.
  const vehicle = join(FIXTURES, 'vehicle');
  mkdirSync(vehicle, { recursive: true });
  const map = JSON.parse(readFileSync(join(root, 'vehicles/demo/signals.json'), 'utf8')) as { dbc: string; signals: Record<string, object> };
  copyFileSync(join(root, 'vehicles/demo', map.dbc), join(vehicle, map.dbc));
  const signals = Object.fromEntries(Object.entries(map.signals).map(([name, entry]) => [name, { ...entry, maxAgeMs: SIGNAL_MAX_AGE_MS }]));
  writeFileSync(join(vehicle, 'signals.json'), JSON.stringify({ ...map, signals }, null, 2));

  const demoVehicle = loadVehicle(join(root, 'vehicles/demo'));
  const drive = endToEndDrive();
  const driveLog = join(FIXTURES, 'drive.log');
  writeFileSync(driveLog, synthesizeDrive(demoVehicle, drive));
  // Its first segment, looped: a parked car.
  const parkedLog = join(FIXTURES, 'parked.log');
  writeFileSync(parkedLog, synthesizeDrive(demoVehicle, { ...drive, segments: [drive.segments[0]!] }));

  // A newer city, signed by the release key, to be replaced by the older one afterwards.
  const source = JSON.parse(readFileSync(join(root, 'manifests/src/pvnic/city.json'), 'utf8')) as { version: number };
  const srcDir = join(FIXTURES, 'src');
  mkdirSync(srcDir, { recursive: true });
  writeFileSync(join(srcDir, 'city.json'), JSON.stringify({ ...source, version: source.version + 1 }, null, 2));
  return { driveLog, parkedLog, cityV2: join(srcDir, 'city.json') };
}

/**
 * The drive the end-to-end test plays. By default the demo drive condensed to what the statechart
 * and the policy need: on SocketCAN the CAN time is the time of receipt, so a drive can only be
 * made shorter, not played faster. `npm run soak` sets PERSONA_E2E_DRIVE=whole: the bundled
 * three-minute drive as it is, with ten seconds more parked at its end for the test to read the
 * last switch in place.
 */
function endToEndDrive(): DriveProfile {
  const choice = process.env.PERSONA_E2E_DRIVE ?? 'condensed';
  if (choice === 'condensed') return condensedDemoDrive(root);
  if (choice !== 'whole') throw new Error(`PERSONA_E2E_DRIVE is "${choice}": condensed (the default) or whole`);
  const file = join(root, 'vehicles/demo/drive-profile.json');
  const whole = parseDriveProfile(JSON.parse(readFileSync(file, 'utf8')), file);
  return { ...whole, segments: whole.segments.map((s, i) => (i === whole.segments.length - 1 ? { ...s, seconds: s.seconds + 10 } : s)) };
}
