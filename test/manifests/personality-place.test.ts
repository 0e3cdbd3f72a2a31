import t from 'tap';
import { PlaceError, placeAt, placeOf, placeShapeOf } from '../../src/manifests/personality-place.js';

void t.test('a place is its driver, its profile if any, and its name, with the key and path built from them', (t) => {
  t.strictSame(placeOf('pvnic/highway.dsse.json'), { driverId: 'pvnic', profile: undefined, name: 'highway', key: 'pvnic/highway', path: 'pvnic/highway.dsse.json' });
  t.strictSame(placeOf('pvnic/zcu-front/highway.dsse.json'), placeAt('pvnic', 'zcu-front', 'highway'));
  t.strictSame(placeShapeOf('pvnic/cockpit/highway.dsse.json'), placeAt('pvnic', 'cockpit', 'highway'));
  t.end();
});

void t.test('a path that is no place is refused naming the component at fault', (t) => {
  const refused = (relativePath: string, problem: string): void => {
    t.throws(() => placeOf(relativePath), new PlaceError(relativePath, problem), relativePath);
  };
  refused('highway.dsse.json', 'needs 2 or 3 components, has 1');
  refused('pvnic/a/b/highway.dsse.json', 'needs 2 or 3 components, has 4');
  refused('pvnic/highway.json', '"highway.json" does not end in .dsse.json');
  refused('pvnic/.highway.dsse.json', '".highway.dsse.json" is hidden');
  refused('Pvnic/highway.dsse.json', '"Pvnic" is not a driver id');
  refused('pv-nic/highway.dsse.json', '"pv-nic" is not a driver id');
  refused('trust/highway.dsse.json', '"trust" is a reserved folder, no driver\'s');
  refused('pvnic/zcu_front/highway.dsse.json', '"zcu_front" is not a profile name');
  t.equal(new PlaceError('pv-nic/highway.dsse.json', '"pv-nic" is not a driver id').message, 'pv-nic/highway.dsse.json is not <driver>/[<profile>/]<name>.dsse.json: "pv-nic" is not a driver id');
  t.end();
});

void t.test('the shape of a place takes any lower-case plain names and leaves the exact rules to the store', (t) => {
  t.strictSame(placeShapeOf('pv-nic/zcu_front/high_way.dsse.json'), placeAt('pv-nic', 'zcu_front', 'high_way'));
  t.throws(() => placeShapeOf('pvnic/../highway.dsse.json'), new PlaceError('pvnic/../highway.dsse.json', '".." is not a lower-case plain name'));
  t.throws(() => placeShapeOf('pvnic/Highway.dsse.json'), new PlaceError('pvnic/Highway.dsse.json', '"Highway" is not a lower-case plain name'));
  t.throws(() => placeShapeOf('pvnic.dsse.json'), new PlaceError('pvnic.dsse.json', 'needs 2 or 3 components, has 1'));
  t.end();
});
