import t from 'tap';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { packageRoot } from '../../src/common/package-root.js';
import { FLAVOUR_OPTIONS, isPrecompiled, PRECOMPILED_FILE, schemaValidator, validatorKey } from '../../src/common/schema-validator.js';
import { collectSchemas, generateValidators, validatorModules } from '../../src/build/precompile-validators.js';

const root = packageRoot();
const generated = join(root, PRECOMPILED_FILE);
const schemas = await collectSchemas(validatorModules(join(root, 'src'), '.ts'));

void t.test('the build generated exactly the validators the sources declare, as they are now', async (t) => {
  t.ok(existsSync(generated), `${PRECOMPILED_FILE} exists (npm run build writes it)`);
  t.ok(schemas.length >= 19, `the config, policy, vehicle map, manifests, state files and requests declare validators (${schemas.length})`);
  const stale = schemas.filter((s) => !isPrecompiled(s.flavour, s.schema)).map((s) => s.key);
  t.same(stale, [], 'no declared schema is missing from the generated file: run npm run build after changing a schema');
  const exported = Object.keys(createRequire(import.meta.url)(generated) as object).sort();
  t.same(exported, schemas.map((s) => s.key).sort(), 'and the generated file has no validator of a schema that is gone');
});

void t.test('a generated validator and one compiled by ajv now give the same verdict and the same errors', async (t) => {
  const probes: unknown[] = [null, 'text', 42, [], {}, { unexpected: true }, { $schema: 1, version: -1, name: '' }];
  const ajvs = Object.fromEntries(Object.entries(FLAVOUR_OPTIONS).map(([flavour, options]) => [flavour, new Ajv2020(options)]));
  for (const { flavour, schema, key } of schemas) {
    const precompiled = schemaValidator(flavour, schema);
    const now = ajvs[flavour]!.compile(schema);
    for (const probe of probes) {
      const verdict = precompiled(probe);
      if (verdict !== now(probe) || JSON.stringify(precompiled.errors) !== JSON.stringify(now.errors)) {
        t.fail(`${key}: ${JSON.stringify(probe)} judged differently`, { generated: precompiled.errors, compiled: now.errors });
      }
    }
  }
  t.pass(`${schemas.length} schemas × ${probes.length} documents agree`);
});

void t.test('a schema the build did not see is compiled when asked, with the flavour\'s options', async (t) => {
  const schema = { type: 'object', required: ['speed'], properties: { speed: { type: 'integer' } }, additionalProperties: false };
  t.notOk(isPrecompiled('document', schema), 'not generated');
  const validate = schemaValidator('document', schema);
  t.ok(validate({ speed: 3 }));
  t.notOk(validate({ speed: '3', extra: 1 }), 'nothing is coerced');
  t.same(validate.errors?.map((e) => e.keyword).sort(), ['additionalProperties', 'type'], 'a document validator reports every error');
  t.not(validatorKey('strict', schema), validatorKey('document', schema), 'the same schema in two flavours is two validators');
});

void t.test('the generated code is the same for the same schemas, so a release build is reproducible', async (t) => {
  t.equal(generateValidators(schemas), generateValidators([...schemas].reverse().sort((a, b) => (a.key < b.key ? -1 : 1))));
});
