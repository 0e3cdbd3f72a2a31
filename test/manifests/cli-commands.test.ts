import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { manifestCommand } from '../../src/cli/manifest-command.js';
import { UsageError, type Output } from '../../src/cli/output.js';
import { trustCommand } from '../../src/cli/trust-command.js';
import { asText, highwayDocument } from './fixtures/documents.js';
import { MAPPING_TEXT } from './fixtures/signing.js';

interface Captured extends Output {
  printed: string[];
  logged: string[];
}

function capture(): Captured {
  const printed: string[] = [];
  const logged: string[] = [];
  return { printed, logged, print: (line) => printed.push(line), log: (line) => logged.push(line) };
}

/** A manifest folder made the way a real one is: keys, trust init, sources, sign. */
function setUp(t: Test): { dir: string; run: (command: typeof manifestCommand, args: string[]) => [number, Captured] } {
  const dir = t.testdir({
    drivers: { pvnic: { 'mapping.json': MAPPING_TEXT } },
    keys: {},
    src: {
      'safe.json': asText({ ...highwayDocument(), name: 'safe' }),
      'parked.json': asText({ ...highwayDocument(), name: 'parked', inherits: 'safe', parameters: { power_saving_mode: 'aggressive' } }),
    },
    trust: {},
    pvnic: {},
  });
  const run = (command: typeof manifestCommand, args: string[]): [number, Captured] => {
    const out = capture();
    return [command(args, out), out];
  };
  for (const name of ['root', 'release']) t.equal(run(manifestCommand, ['keygen', '--out', join(dir, 'keys', name)])[0], 0);
  const [code, out] = run(trustCommand, ['init', '--out', join(dir, 'trust'), '--root-key', join(dir, 'keys/root.public.pem'), '--personalities-key', join(dir, 'keys/release.public.pem'), '--sign', join(dir, 'keys/root.private.pem'), '--expires', '2036-01-01T00:00:00Z']);
  t.equal(code, 0, out.logged.join('\n'));
  return { dir, run };
}

void t.test('keygen, trust init, lint, sign, verify, explain: the whole round', (t) => {
  const { dir, run } = setUp(t);
  t.equal(statSync(join(dir, 'keys/release.private.pem')).mode & 0o777, 0o600);
  const sources = [join(dir, 'src/safe.json'), join(dir, 'src/parked.json')];
  const [lint, linted] = run(manifestCommand, ['lint', '--manifests', dir, ...sources]);
  t.equal(lint, 0);
  t.strictSame(linted.printed, [`${sources[0]}: ok pvnic/safe v1, 4 parameters`, `${sources[1]}: ok pvnic/parked v1, 4 parameters`]);
  const [sign, signed] = run(manifestCommand, ['sign', '--key', join(dir, 'keys/release.private.pem'), '--out-dir', join(dir, 'pvnic'), ...sources]);
  t.equal(sign, 0, signed.logged.join('\n'));
  const envelopes = [join(dir, 'pvnic/safe.dsse.json'), join(dir, 'pvnic/parked.dsse.json')];
  const [verify, verified] = run(manifestCommand, ['verify', '--manifests', dir, ...envelopes]);
  t.equal(verify, 0, verified.logged.join('\n'));
  t.strictSame(verified.printed, [
    `${envelopes[0]}: ok pvnic/safe v1, signed by release (1 of 1 required, trust root v1)`,
    `${envelopes[1]}: ok pvnic/parked v1, signed by release (1 of 1 required, trust root v1)`,
  ]);
  const [explain, explained] = run(manifestCommand, ['explain', '--manifests', dir, 'pvnic/parked']);
  t.equal(explain, 0, explained.logged.join('\n'));
  const text = explained.printed.join('\n');
  for (const part of [
    `pvnic/parked v1  ${envelopes[1]}`,
    '  inherits   safe',
    /trusted {4}dsse-ed25519: 1 valid of the 1 required distinct keys of the personalities role, trust root v1\n {13}signed by release \(keyid [0-9a-f]{64}\)/,
    '    1. interrupt_coalescence_time = 4ms (4000000 ns), set by safe\n       driver rx-usecs = 4000 us, allowed 0us..100ms, applied runtime',
    '    3. power_saving_mode = aggressive, set by parked',
    '       driver priv-flags = {gro,rx_checksum,tso}, allowed {gro,lro,rx_checksum,sg,tso,tx_checksum}, applied runtime',
  ]) {
    t.match(text, part);
  }
  t.end();
});

void t.test('verify and explain report what is wrong, with its code, and exit 1', (t) => {
  const { dir, run } = setUp(t);
  const bad = join(dir, 'pvnic/safe.dsse.json');
  run(manifestCommand, ['sign', '--key', join(dir, 'keys/root.private.pem'), '--out', bad, join(dir, 'src/safe.json')]);
  const [code, out] = run(manifestCommand, ['verify', '--manifests', dir, bad]);
  t.equal(code, 1);
  t.strictSame(out.logged, [`${bad}: /signatures: has no valid signature by a key of the personalities role of trust root v1 [E_SIGNATURE]`]);
  const [noTrust, noTrustOut] = run(manifestCommand, ['verify', '--manifests', dir, '--trust', join(dir, 'keys'), bad]);
  t.equal(noTrust, 1);
  t.match(noTrustOut.logged, [/keys\/root\.json: ENOENT: .+ \[E_READ\]$/]);
  const [explain, explained] = run(manifestCommand, ['explain', '--manifests', dir, 'pvnic/safe']);
  t.equal(explain, 1);
  t.strictSame(explained.logged, [`pvnic/safe: not loaded from ${dir}`, `  ${out.logged[0] ?? ''}`]);
  t.end();
});

void t.test('lint finds mapping problems and inheritance among the files given', (t) => {
  const { dir, run } = setUp(t);
  const loop = join(dir, 'src/loop.json');
  writeFileSync(loop, asText({ ...highwayDocument(), name: 'loop', inherits: 'loop' }));
  const far = join(dir, 'src/far.json');
  writeFileSync(far, asText({ ...highwayDocument(), name: 'far', parameters: { DMA_buffer_size: '64MB' } }));
  const [code, out] = run(manifestCommand, ['lint', '--manifests', dir, loop, far]);
  t.equal(code, 1);
  t.strictSame(out.logged, [
    `${far}: /parameters/DMA_buffer_size: 64MB is outside 4KB..4MB [E_MAPPING]`,
    `${loop}: /inherits: inheritance cycle loop → loop [E_CYCLE]`,
  ]);
  t.end();
});

void t.test('trust rotate: the next version, checked before it is written', (t) => {
  const { dir, run } = setUp(t);
  run(manifestCommand, ['keygen', '--out', join(dir, 'keys/root-2')]);
  const rotate = (sign: string[]): [number, Captured] =>
    run(trustCommand, ['rotate', '--trust', join(dir, 'trust'), '--root-key', join(dir, 'keys/root-2.public.pem'), '--expires', '2037-01-01T00:00:00Z', ...sign.flatMap((k) => ['--sign', join(dir, `keys/${k}.private.pem`)])]);
  const [missingOld, outOld] = rotate(['root-2']);
  t.equal(missingOld, 1);
  t.match(outOld.logged, [/2\.root\.json: \/signatures: has no valid signature by a key of the root role of trust root v1 \[E_SIGNATURE\]$/]);
  const [missingNew, outNew] = rotate(['root']);
  t.equal(missingNew, 1);
  t.match(outNew.logged, [/has no valid signature by a key of the root role of trust root v2 \[E_SIGNATURE\]$/]);
  t.throws(() => statSync(join(dir, 'trust/2.root.json')), { code: 'ENOENT' }, 'nothing written');
  const [ok, out] = rotate(['root', 'root-2']);
  t.equal(ok, 0, out.logged.join('\n'));
  t.strictSame(out.printed, [`${join(dir, 'trust/2.root.json')}: trust root v2, expires 2037-01-01T00:00:00Z, signed by root, root-2`]);
  t.match(readFileSync(join(dir, 'trust/2.root.json'), 'utf8'), /"payloadType": "application\/vnd\.persona\.root\+json"/);
  t.end();
});

void t.test('command-line mistakes are usage errors; nothing is overwritten', (t) => {
  const { dir, run } = setUp(t);
  const usage = (fn: () => unknown, message: string | RegExp): void => {
    const error = t.throws(fn, { message });
    t.ok(error instanceof UsageError, 'a UsageError: reported without a stack trace');
  };
  usage(() => run(manifestCommand, ['frobnicate']), /^manifest: expected keygen, sign, verify, lint or explain/);
  usage(() => run(manifestCommand, ['keygen']), 'manifest keygen: --out PREFIX is required');
  usage(() => run(manifestCommand, ['keygen', '--out', join(dir, 'keys/root')]), `${join(dir, 'keys/root.private.pem')} exists already and is not overwritten`);
  usage(() => run(manifestCommand, ['sign', '--key', join(dir, 'keys/root.private.pem'), join(dir, 'src/safe.json')]), 'manifest sign: give --out FILE for one source, or --out-dir DIR');
  usage(() => run(manifestCommand, ['explain', 'pvnic']), 'manifest explain: give one personality as DRIVER/NAME');
  usage(() => run(manifestCommand, ['verify']), 'manifest: no files given');
  usage(() => run(trustCommand, ['show']), /^trust: expected init, rotate, time, reset-time or apply-reset/);
  usage(() => run(trustCommand, ['init', '--out', join(dir, 'trust'), '--root-key', join(dir, 'keys/root.public.pem'), '--personalities-key', join(dir, 'keys/release.public.pem'), '--sign', join(dir, 'keys/root.private.pem'), '--expires', '2036-01-01T00:00:00Z']), /exists already/);
  usage(() => run(trustCommand, ['init', '--out', dir, '--root-key', join(dir, 'keys/root.public.pem')]), 'trust init: --personalities-key is required');
  const [code, out] = run(trustCommand, ['rotate', '--trust', join(dir, 'trust'), '--sign', join(dir, 'keys/root.private.pem'), '--expires', '2037-02-30T00:00:00Z']);
  t.equal(code, 1);
  t.strictSame(out.logged, ['--expires: "2037-02-30T00:00:00Z" is not a valid UTC time [E_SCHEMA]']);
  const [noKey, noKeyOut] = run(manifestCommand, ['sign', '--key', join(dir, 'keys/missing.pem'), '--out-dir', dir, join(dir, 'src/safe.json')]);
  t.equal(noKey, 1);
  t.match(noKeyOut.logged, [/missing\.pem: ENOENT: .+ \[E_READ\]$/]);
  const [bad, badOut] = run(trustCommand, ['rotate', '--trust', join(dir, 'trust'), '--sign', join(dir, 'src/safe.json'), '--expires', '2037-01-01T00:00:00Z']);
  t.equal(bad, 1);
  t.match(badOut.logged, [/safe\.json: not a PEM key: .+ \[E_KEY\]$/]);
  t.end();
});
