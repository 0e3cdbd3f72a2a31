import t from 'tap';
import { join } from 'node:path';
import { packageRoot } from '../../src/common/package-root.js';
import { vehicleDir, VehicleNotFoundError } from '../../src/cli/vehicle-dir.js';

const bundled = join(packageRoot(), 'vehicles');
const map = (): Record<string, string> => ({ 'signals.json': '{}' });

void t.test('a name is ./NAME, then ./vehicles/NAME, then the bundled vehicles/NAME', async (t) => {
  const cwd = t.testdir({ demo: map(), vehicles: { demo: map(), 'my-car': map() } });
  t.equal(vehicleDir('demo', cwd), join(cwd, 'demo'), 'the working folder first');
  t.equal(vehicleDir('my-car', cwd), join(cwd, 'vehicles/my-car'), 'then its vehicles/');
  t.equal(vehicleDir('toyota-prius-2010', cwd), join(bundled, 'toyota-prius-2010'), 'then the bundled ones');
});

void t.test('a folder without a signals.json is passed over', async (t) => {
  const cwd = t.testdir({ demo: { 'drive.log': '' } });
  t.equal(vehicleDir('demo', cwd), join(bundled, 'demo'));
});

void t.test('a path is that folder alone, from the working folder', async (t) => {
  const cwd = t.testdir({ cars: { demo: map() }, 'signals.json': '{}' });
  t.equal(vehicleDir('cars/demo', cwd), join(cwd, 'cars/demo'));
  t.equal(vehicleDir('./cars/demo/', cwd), join(cwd, 'cars/demo'));
  t.equal(vehicleDir('.', cwd), cwd);
  t.equal(vehicleDir(join(cwd, 'cars/demo'), '/'), join(cwd, 'cars/demo'), 'absolute');
  t.throws(() => vehicleDir('./demo', cwd), new VehicleNotFoundError('./demo', [join(cwd, 'demo')]), 'never the bundled demo');
  t.throws(() => vehicleDir('./demo', cwd), { code: 'E_DOCUMENT', message: `--vehicle ./demo: no signals.json in ${join(cwd, 'demo')}` });
});

void t.test('nothing found: every place looked in, in order, each once', async (t) => {
  const cwd = t.testdir({});
  t.throws(() => vehicleDir('nosuch', cwd), { message: `--vehicle nosuch: no signals.json in any of, in this order:\n  ${join(cwd, 'nosuch')}\n  ${join(cwd, 'vehicles/nosuch')}\n  ${join(bundled, 'nosuch')}` });
  t.throws(() => vehicleDir('nosuch', packageRoot()), { message: `--vehicle nosuch: no signals.json in any of, in this order:\n  ${join(packageRoot(), 'nosuch')}\n  ${join(bundled, 'nosuch')}` }, 'from inside the package, its vehicles/ once');
});
