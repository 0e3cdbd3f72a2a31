import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadDbcFile } from '../../src/signals/dbc-parser.js';
import { packageRoot } from '../../src/common/package-root.js';

/** The opendbc files in the shared folder beside the project, read in place. */
const CORPUS_DIR = join(packageRoot(), '../shared/dbc/opendbc/');
const files = existsSync(CORPUS_DIR)
  ? readdirSync(CORPUS_DIR).filter((name) => name.endsWith('.dbc')).sort().map((name) => join(CORPUS_DIR, name))
  : undefined;
// Locally a missing corpus skips; in CI it must fail.
const corpusOptions = files === undefined && !process.env.CI ? { skip: `no DBC corpus at ${CORPUS_DIR}` } : {};

/** Messages a file defines for the bus: its `BO_` lines but Vector's pseudo message of unplaced signals. */
function definedMessages(file: string): number {
  const lines = readFileSync(file, 'latin1').split('\n');
  return lines.filter((line) => line.startsWith('BO_ ') && !line.includes('VECTOR__INDEPENDENT_SIG_MSG')).length;
}

void t.test('every opendbc file loads, keeping every message it defines', corpusOptions, (t) => {
  if (files === undefined) {
    t.fail(`no DBC corpus at ${CORPUS_DIR}: CI must have the shared folder beside the project`);
    t.end();
    return;
  }
  t.ok(files.length > 0, `${CORPUS_DIR} has .dbc files`);
  let messages = 0;
  let warnings = 0;
  for (const file of files) {
    try {
      const dbc = loadDbcFile(file);
      t.ok(dbc.messages.length > 0, `${basename(file)}: ${dbc.messages.length} messages`);
      t.equal(dbc.messages.length, definedMessages(file), `${basename(file)}: no message skipped`);
      t.ok(dbc.warnings.every((w) => w.startsWith(`${file}:`)), `${basename(file)}: warnings start file:line:col`);
      messages += dbc.messages.length;
      warnings += dbc.warnings.length;
    } catch (error) {
      t.fail(`${basename(file)}: ${String(error)}`);
    }
  }
  t.comment(`${files.length} files, ${messages} messages, ${warnings} warnings about sloppy input`);
  t.end();
});
