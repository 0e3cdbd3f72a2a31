import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../common/package-root.js';
import { DocumentError, readJsonDocument } from '../common/schema.js';
import { parseDriveProfile, synthesizeDrive } from '../signals/drive-synth.js';
import { loadVehicle } from '../signals/signal-map.js';
import { EXIT_CONFIG, type Output } from './output.js';

export const SYNTH_HELP = `persona synth --vehicle NAME|DIR [--profile FILE] [--out FILE]
  encode a drive profile through the vehicle's DBC into a candump -L log
  (default profile: <vehicle>/drive-profile.json; default output: stdout)
`;

/** A vehicle given by name is looked up under the package's `vehicles/`. */
export function vehicleDir(nameOrDir: string): string {
  return existsSync(nameOrDir) ? resolve(nameOrDir) : join(packageRoot(), 'vehicles', nameOrDir);
}

export function synthCommand(args: string[], out: Output): number {
  const { values } = parseArgs({ args, options: { vehicle: { type: 'string' }, profile: { type: 'string' }, out: { type: 'string' } }, strict: true });
  if (values.vehicle === undefined) {
    out.log(`persona synth: --vehicle is required\n\n${SYNTH_HELP}`);
    return EXIT_CONFIG;
  }
  const dir = vehicleDir(values.vehicle);
  const profileFile = values.profile ?? join(dir, 'drive-profile.json');
  try {
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
