import t from 'tap';
import { join } from 'node:path';
import { dbcCommand } from '../../src/cli/dbc-command.js';
import type { Output } from '../../src/cli/output.js';
import { packageRoot } from '../../src/common/package-root.js';

const fixture = (name: string): string => join(packageRoot(), `test/signals/fixtures/${name}`);
const QUIRKS = fixture('quirks.dbc');
const THREE_ERRORS = fixture('three-errors.dbc');
const CLEAN = join(packageRoot(), 'vehicles/demo/demo.dbc');

function capture(): Output & { printed: string[]; logged: string[] } {
  const printed: string[] = [];
  const logged: string[] = [];
  return { printed, logged, print: (line) => printed.push(line), log: (line) => logged.push(line) };
}

void t.test('persona dbc lint --strict fails on a file with warnings and lists them as file:line:col: warning:', (t) => {
  const out = capture();
  t.equal(dbcCommand(['lint', '--strict', CLEAN, QUIRKS], out), 1);
  t.same(out.printed, [`${CLEAN}: 4 messages, 11 signals, 0 multiplexed`, `${QUIRKS}: 3 messages, 5 signals, 1 multiplexed, 23 warnings`]);
  t.equal(out.logged.length, 23);
  t.equal(out.logged[0], `${QUIRKS}:3:6: warning: name '2ECU' starts with a digit (not allowed by the DBC grammar), read as a name`);
  t.equal(out.logged[7], `${QUIRKS}:15:5: warning: message id 1073742335 (0x400001ff) sets bit 30 without the extended flag (bit 31): neither an 11-bit nor a 29-bit CAN id, message 'RemoteFlag' skipped`);
  t.end();
});

void t.test('persona dbc lint --strict passes a clean file; without --strict warnings do not fail', (t) => {
  const strict = capture();
  t.equal(dbcCommand(['lint', '--strict', CLEAN], strict), 0);
  t.same(strict.logged, []);
  const lenient = capture();
  t.equal(dbcCommand(['lint', QUIRKS], lenient), 0);
  t.same(lenient.printed, [`${QUIRKS}: 3 messages, 5 signals, 1 multiplexed, 23 warnings`]);
  t.same(lenient.logged, []);
  const listed = capture();
  t.equal(dbcCommand(['lint', '--warnings', QUIRKS], listed), 0);
  t.equal(listed.printed.length, 24, 'the counts, then the warnings on standard output');
  t.equal(listed.printed[24 - 1], `${QUIRKS}:54:1: warning: BO_TX_BU_ refers to message id 995, which is not defined`);
  t.end();
});

void t.test('persona dbc lint lists every error of a file, then goes on with the next file', (t) => {
  const out = capture();
  t.equal(dbcCommand(['lint', THREE_ERRORS, CLEAN], out), 1);
  t.same(out.logged, [
    `${THREE_ERRORS}:7:21: error: expected byte order 0 (motorola) or 1 (intel), found '2'`,
    `${THREE_ERRORS}:10:16: error: expected ':' after message name 'Second', found '8'`,
    `${THREE_ERRORS}:14:25: error: unexpected character "#"`,
  ]);
  t.same(out.printed, [`${CLEAN}: 4 messages, 11 signals, 0 multiplexed`]);
  t.end();
});
