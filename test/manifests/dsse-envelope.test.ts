import { verify } from 'node:crypto';
import t from 'tap';
import { checkSize, MAX_DEPTH, parseBoundedJson } from '../../src/manifests/bounded-json.js';
import { decodeBase64, parseEnvelope, PAYLOAD_TYPES, preAuthEncoding, signEnvelope } from '../../src/manifests/dsse-envelope.js';
import { testKey } from './fixtures/signing.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

void t.test('the pre-authentication encoding is DSSE v1, lengths in bytes', (t) => {
  // The example of the DSSE protocol description.
  t.equal(preAuthEncoding('http://example.com/HelloWorld', encode('hello world')).toString(), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  t.equal(preAuthEncoding('t', encode('é')).toString(), 'DSSEv1 1 t 2 é');
  t.equal(preAuthEncoding('', new Uint8Array(0)).toString(), 'DSSEv1 0  0 ');
  t.end();
});

void t.test('signEnvelope and parseEnvelope round-trip; the signature is over the PAE', (t) => {
  const key = testKey('signer');
  const payload = encode('{"a": 1}\n');
  const bytes = signEnvelope(PAYLOAD_TYPES.personality, payload, [key]);
  const parsed = parseEnvelope(bytes, 'e.dsse.json', PAYLOAD_TYPES.personality);
  t.strictSame(Buffer.from(parsed.payload), Buffer.from(payload));
  t.equal(parsed.signatures[0]?.keyid, key.keyid);
  const sig = parsed.signatures[0]?.sig ?? new Uint8Array(0);
  t.ok(verify(null, preAuthEncoding(PAYLOAD_TYPES.personality, payload), key.publicKey, sig));
  t.notOk(verify(null, payload, key.publicKey, sig), 'not over the bare payload');
  t.match(new TextDecoder().decode(bytes), /^\{\n {2}"payloadType": "application\/vnd\.persona\.personality\+json",\n/);
  t.end();
});

void t.test('envelope errors point at the field', (t) => {
  const cases: Array<[string, string, string, string]> = [
    ['[]', 'E_ENVELOPE', '', 'must be object (got [])'],
    ['{"payloadType": "a", "payload": "", "signatures": [], "extra": 1}', 'E_ENVELOPE', '/extra', 'is not allowed'],
    ['{"payloadType": "A B", "payload": "", "signatures": []}', 'E_ENVELOPE', '/payloadType', 'must match pattern "^[a-z0-9.+/-]+$" (got "A B")'],
    ['{"payloadType": "a", "payload": "", "signatures": [{"keyid": "x", "sig": ""}]}', 'E_ENVELOPE', '/signatures/0/keyid', 'must match pattern "^[0-9a-f]{64}$" (got "x")'],
    ['{"payloadType": "a", "payload": "", "signatures": []}', 'E_PAYLOAD_TYPE', '/payloadType', 'is "a", expected "application/vnd.persona.personality+json"'],
    [`{"payloadType": "${PAYLOAD_TYPES.personality}", "payload": "e30", "signatures": []}`, 'E_BASE64', '/payload', 'is not canonical padded base64'],
  ];
  for (const [text, code, path, message] of cases) {
    t.throws(() => parseEnvelope(encode(text), 'e', PAYLOAD_TYPES.personality), { code, path, text: message }, text);
  }
  t.end();
});

void t.test('strict base64: standard alphabet, padded, canonical', (t) => {
  t.strictSame(decodeBase64('', 'f', '/p'), Buffer.alloc(0));
  t.equal(decodeBase64('aGk=', 'f', '/p').toString(), 'hi');
  t.equal(decodeBase64('+/8=', 'f', '/p').toString('hex'), 'fbff');
  for (const bad of ['aGk', 'aGl=', 'aG k=', 'aGk=\n', '-_8=', 'aGk==', '=', 'a===', 'aGk=aGk=', '\u00e9AAA']) {
    t.throws(() => decodeBase64(bad, 'f', '/p'), { code: 'E_BASE64', path: '/p' }, JSON.stringify(bad));
  }
  t.end();
});

void t.test('bounded JSON: size first, then depth, then strict UTF-8', (t) => {
  t.doesNotThrow(() => checkSize(256 * 1024, 'f'));
  t.throws(() => checkSize(256 * 1024 + 1, 'f'), { code: 'E_SIZE', text: '262145 bytes exceeds the limit of 262144' });
  t.strictSame(parseBoundedJson(encode(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`), 'f'), JSON.parse(`${'['.repeat(16)}${']'.repeat(16)}`));
  t.throws(() => parseBoundedJson(encode(`{"a":${'{"a":'.repeat(16)}1${'}'.repeat(17)}`), 'f'), { code: 'E_DEPTH' });
  t.strictSame(parseBoundedJson(encode(`{"a": "${'['.repeat(100)}\\"${'{'.repeat(100)}"}`), 'f'), { a: `${'['.repeat(100)}"${'{'.repeat(100)}` }, 'brackets in strings do not count');
  t.throws(() => parseBoundedJson(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), 'f'), { code: 'E_JSON' });
  t.throws(() => parseBoundedJson(encode('{"a": 1,}'), 'f'), { code: 'E_JSON', path: undefined });
  t.end();
});
