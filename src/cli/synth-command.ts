import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DocumentError, readJsonDocument } from '../common/schema.js';
import { parseDriveProfile, synthesizeDrive } from '../signals/drive-synth.js';
import { loadVehicle } from '../signals/signal-map.js';
import { EXIT_CONFIG, type Output } from './output.js';
import { VEHICLE_HELP, vehicleDir } from './vehicle-dir.js';

export const SYNTH_HELP = `persona synth --vehicle NAME|DIR [--profile FILE] [--out FILE]
  encode a drive profile through the vehicle's DBC into a candump -L log
  (default profile: <vehicle>/drive-profile.json; default output: stdout)
${VEHICLE_HELP}
`;

export function synthCommand(args: string[], out: Output): number {
  const { values } = parseArgs({ args, options: { vehicle: { type: 'string' }, profile: { type: 'string' }, out: { type: 'string' } }, strict: true });
  if (values.vehicle === undefined) {
    out.log(`persona synth: --vehicle is required\n\n${SYNTH_HELP}`);
    return EXIT_CONFIG;
  }
  try {
    const dir = vehicleDir(values.vehicle);
    const profileFile = values.profile ?? join(dir, 'drive-profile.json');
    const profile = parseDriveProfile(readJsonDocument(profileFile, (f) => readFileSync(f, 'utf8')), profileFile);
    const log = synthesizeDrive(loadVehicle(dir), profile);
    if (values.out === undefined) process.stdout.write(log);
    else {
      writeFileSync(values.out, log);
      out.log(`persona synth: wrote ${log.split('\n').length - 1} frames to ${values.out}`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof DocumentError)) throw err;
    out.log(err.message);
    return EXIT_CONFIG;
  }
}
