import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManifestStore } from '../../src/manifests/manifest-store.js';
import { SignedManifestVerifier } from '../../src/manifests/signed-manifest-verifier.js';
import { NOW, repository, signedManifest } from './fixtures/signing.js';

const forProfile = (name: string, profiles: string[], ring: string): string =>
  signedManifest(name, { instanceProfiles: profiles, parameters: { DMA_buffer_size: ring } });

const dir = (t: Test): string =>
  t.testdir(repository({
    pvnic: {
      'highway.dsse.json': signedManifest('highway'),
      'city.dsse.json': signedManifest('city', { inherits: 'highway', parameters: { power_saving_mode: 'balanced' } }),
      'zcu-rear': {
        'highway.dsse.json': forProfile('highway', ['zcu-rear', 'zcu-front'], '1MB'),
        'trailer.dsse.json': forProfile('trailer', ['zcu-rear'], '2MB'),
      },
      'zcu-front': { 'highway.dsse.json': forProfile('highway', ['zcu-rear', 'zcu-front'], '512KB') },
    },
  }));

function load(root: string, instanceProfile?: string): ManifestStore {
  return ManifestStore.load(root, new SignedManifestVerifier(join(root, 'trust')), undefined, { now: () => NOW, instanceProfile });
}

void t.test('the most specific manifest for this ECU wins; other profiles are not looked at', (t) => {
  const store = load(dir(t), 'zcu-rear');
  t.strictSame(store.rejected, []);
  t.strictSame(store.list().map((p) => `${p.name}: ${String(p.parameters.DMA_buffer_size)}`), ['city: 1048576', 'highway: 1048576', 'trailer: 2097152']);
  t.match(store.require('pvnic', 'highway'), { instanceProfiles: ['zcu-rear', 'zcu-front'], source: /zcu-rear\/highway\.dsse\.json$/ });
  t.equal(store.require('pvnic', 'city').parameters.DMA_buffer_size, 1_048_576, 'inherits the specific highway');
  t.end();
});

void t.test('the same signed manifest serves several profiles', (t) => {
  t.equal(load(dir(t), 'zcu-front').require('pvnic', 'highway').parameters.DMA_buffer_size, 524_288);
  t.end();
});

void t.test('an ECU of another profile, or of none, gets the generic manifests', (t) => {
  for (const profile of ['zcu-middle', undefined]) {
    const store = load(dir(t), profile);
    t.strictSame(store.list().map((p) => `${p.name}: ${String(p.parameters.DMA_buffer_size)}`), ['city: 262144', 'highway: 262144'], String(profile));
  }
  t.end();
});

void t.test("a profile's manifest older than the generic one is refused: a personality resolves to its newest, the profile's at equal versions", (t) => {
  const root = t.testdir(repository({
    pvnic: {
      'highway.dsse.json': signedManifest('highway', { version: 2 }),
      'city.dsse.json': signedManifest('city', { version: 2 }),
      'zcu-rear': {
        'highway.dsse.json': signedManifest('highway', { version: 1, instanceProfiles: ['zcu-rear'], parameters: { DMA_buffer_size: '1MB' } }),
        'city.dsse.json': signedManifest('city', { version: 2, instanceProfiles: ['zcu-rear'], parameters: { DMA_buffer_size: '1MB' } }),
      },
    },
  }));
  const store = load(root, 'zcu-rear');
  const specific = join(root, 'pvnic', 'zcu-rear', 'highway.dsse.json');
  t.match(store.rejected, [{ code: 'E_ROLLBACK', file: specific, path: '/version', text: `1 is older than version 2 of the same personality in ${join(root, 'pvnic', 'highway.dsse.json')}` }]);
  t.equal(store.rejected.length, 1);
  t.match(store.require('pvnic', 'highway'), { version: 2, instanceProfiles: [] });
  t.match(store.require('pvnic', 'city'), { version: 2, instanceProfiles: ['zcu-rear'] });
  t.end();
});
