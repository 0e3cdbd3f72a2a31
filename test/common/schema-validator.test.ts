import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { packageRoot } from '../../src/common/package-root.js';
import { FLAVOUR_OPTIONS, isPrecompiled, PRECOMPILED_FILE, requestedSchemas, schemaValidator, validatorKey } from '../../src/common/schema-validator.js';
import { collectSchemas, generateValidators, validatorModules } from '../../src/build/precompile-validators.js';

const root = packageRoot();
const generated = join(root, PRECOMPILED_FILE);
// The modules are found in the sources. Run from its source (npx tap test/…ts), the test loads
// them as they are now, so a stale build shows; run compiled (npm test builds first), it loads
// what tsc made of them, and the build's own search of its output is checked against the sources.
const sourceModules = validatorModules(join(root, 'src'), '.ts');
const compiled = (source: string): string => join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
const schemas = await collectSchemas(import.meta.url.endsWith('.ts') ? sourceModules : sourceModules.map(compiled));

void t.test('the build generated exactly the validators the sources declare, as they are now', async (t) => {
  t.ok(existsSync(generated), `${PRECOMPILED_FILE} exists (npm run build writes it)`);
  t.same(validatorModules(join(root, 'dist/src'), '.js', join(root, 'src')), sourceModules.map(compiled), 'the build finds in its output the modules whose sources declare validators');
  t.ok(schemas.length >= 19, `the config, policy, vehicle map, manifests, state files and requests declare validators (${schemas.length})`);
  t.equal(readFileSync(generated, 'utf8'), generateValidators(schemas), 'the generated file is what the sources generate now: run npm run build after changing a schema');
  t.same(
    schemas.filter((s) => !isPrecompiled(s.flavour, s.schema)).map((s) => s.module),
    [],
    'and each declared schema is found in it',
  );
});

void t.test('every schema the commands ask for, loaded as the CLI loads them, was found by the build', async (t) => {
  for (const command of Object.values(COMMANDS)) await command.load();
  const missed = requestedSchemas().filter((s) => !isPrecompiled(s.flavour, s.schema));
  t.same(missed.map((s) => s.key), [], 'no command compiles a schema at start-up: a validator declared in a way the build cannot see would show here');
});

/** Every JSON document of the repository: the shipped manifests, vehicles, statecharts, policy and schemas. */
function repositoryDocuments(): unknown[] {
  const documents: unknown[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) documents.push(JSON.parse(readFileSync(path, 'utf8')));
    }
  };
  for (const dir of ['manifests', 'vehicles', 'statecharts', 'src', 'yocto-layer']) walk(join(root, dir));
  return documents;
}

/** The document, and for each of its top-level keys: without it, and with a value of the wrong type. */
function mutations(document: unknown): unknown[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return [document];
  const out: unknown[] = [document];
  for (const [key, value] of Object.entries(document)) {
    const without: Record<string, unknown> = { ...document };
    delete without[key];
    out.push(without, { ...document, [key]: typeof value === 'string' ? 7 : 'text' });
  }
  return out;
}

void t.test('a generated validator and one compiled by ajv now give the same verdict and the same errors', async (t) => {
  const probes = [null, 'text', 42, [], {}, ...repositoryDocuments().flatMap(mutations)];
  let failed = 0;
  let valid = 0;
  for (const { flavour, schema, module } of schemas) {
    const precompiled = schemaValidator(flavour, schema);
    const now = new Ajv2020(FLAVOUR_OPTIONS[flavour]).compile(schema);
    for (const probe of probes) {
      const verdict = precompiled(probe);
      if (verdict) valid++;
      if (verdict !== now(probe) || JSON.stringify(precompiled.errors) !== JSON.stringify(now.errors)) {
        failed++;
        if (failed <= 3) t.fail(`${module}: ${JSON.stringify(probe).slice(0, 200)} judged differently`, { generated: precompiled.errors, compiled: now.errors });
      }
    }
  }
  t.equal(failed, 0, `${schemas.length} schemas × ${probes.length} documents judged alike`);
  t.ok(valid >= 10, `real documents pass their schemas too, not only failures are compared (${valid} valid)`);
});

void t.test("a schema the build did not see is compiled when asked, with the flavour's options", async (t) => {
  const schema = { type: 'object', required: ['speed'], properties: { speed: { type: 'integer' } }, additionalProperties: false };
  t.notOk(isPrecompiled('trusted', schema), 'not generated');
  const validate = schemaValidator('trusted', schema);
  t.ok(validate({ speed: 3 }));
  t.notOk(validate({ speed: '3', extra: 1 }), 'nothing is coerced');
  t.same(validate.errors?.map((e) => e.keyword).sort(), ['additionalProperties', 'type'], 'a trusted document is told every error');
  t.not(validatorKey('untrusted', schema), validatorKey('trusted', schema), 'the same schema in two flavours is two validators');
  const sameId = { $id: 'https://persona.invalid/one', type: 'string' };
  t.ok(schemaValidator('trusted', sameId)('x') && !schemaValidator('trusted', { ...sameId, type: 'number' })('x'), 'two schemas with one $id are two validators');
});

void t.test('a generated file that cannot be loaded is named, with what to do', async (t) => {
  // A build stopped half way through writing it, as a full disk would leave it.
  const truncated = t.testdir({ dist: { 'validators.cjs': '(function (exports) {\n"use strict";exports.trusted_0 = validate' } });
  const { schemaValidator: fresh } = await t.mockImport<typeof import('../../src/common/schema-validator.js')>('../../src/common/schema-validator.js', {
    '../../src/common/package-root.js': { packageRoot: () => truncated },
  });
  t.throws(() => fresh('trusted', { type: 'string' }), { message: `${join(truncated, PRECOMPILED_FILE)}: cannot be loaded (SyntaxError): rebuild it with npm run build` });
});

void t.test('the generated code does not depend on the order the modules asked in', async (t) => {
  t.equal(generateValidators([...schemas].reverse()), generateValidators(schemas));
});
