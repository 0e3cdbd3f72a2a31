import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { DocumentError } from '../common/schema.js';

/** The rule, for the help of every command that takes `--vehicle`. */
export const VEHICLE_HELP = `  --vehicle NAME|DIR  a DIR (anything with a slash, or . or ..) is that folder, from the working
                      folder; a NAME is the first folder with a signals.json of ./NAME, ./vehicles/NAME
                      and the vehicles/NAME that comes with persona (demo, toyota-prius-2010)`;

/** `--vehicle` found no folder with a signals.json; the message lists every place looked in. */
export class VehicleNotFoundError extends DocumentError {
  constructor(given: string, places: readonly string[]) {
    super(places.map((dir) => ({ file: join(dir, 'signals.json'), path: '', message: 'file not found' })));
    this.message = `--vehicle ${given}: no signals.json in ${places.length === 1 ? places[0] : `any of, in this order:\n${places.map((p) => `  ${p}`).join('\n')}`}`;
  }
}

const isPath = (nameOrDir: string): boolean => isAbsolute(nameOrDir) || /[\\/]/.test(nameOrDir) || nameOrDir === '.' || nameOrDir === '..';

/** The folders `--vehicle` may mean, in the order they are tried. */
export function vehiclePlaces(nameOrDir: string, cwd = process.cwd()): string[] {
  if (isPath(nameOrDir)) return [resolve(cwd, nameOrDir)];
  // From inside the package, ./vehicles/NAME is the bundled one: each place once.
  return [...new Set([resolve(cwd, nameOrDir), resolve(cwd, 'vehicles', nameOrDir), join(packageRoot(), 'vehicles', nameOrDir)])];
}

/**
 * The vehicle folder `--vehicle` names. A path means that folder alone; a name is looked up
 * in the working folder before the bundled vehicles, so that an integrator's own car wins
 * over a bundled one of the same name.
 */
export function vehicleDir(nameOrDir: string, cwd = process.cwd()): string {
  const places = vehiclePlaces(nameOrDir, cwd);
  const found = places.find((dir) => existsSync(join(dir, 'signals.json')));
  if (found === undefined) throw new VehicleNotFoundError(nameOrDir, places);
  return found;
}
