import { parseArgs } from 'node:util';
import { loadDbcFile } from '../signals/dbc-parser.js';
import { DbcSyntaxError, formatProblem, MAX_DBC_ERRORS } from '../signals/dbc-tokenizer.js';
import { EXIT_FAILURE, type Output } from './output.js';

export const DBC_HELP = `persona dbc lint [--warnings] [--strict] FILE…
  load DBC files; print counts per file, and each problem as file:line:col: error|warning: text
  exit code 1 if any file has an error (all of a file's errors are listed, up to ${MAX_DBC_ERRORS})
  --warnings  list the warnings too; without --strict they do not fail
  --strict    fail (exit code 1) when any file has a warning, listing them: for files that must be clean

Quirks of real DBC files load with one warning each; only what cannot be decoded is left out:
  a name that starts with a digit (2017_5, 0_COUNTER)           read as a name
  an id above 0x7ff without the extended flag (bit 31)          read as a 29-bit id
  an id with bit 29 or 30 set (besides VECTOR__INDEPENDENT_SIG_MSG's 0xC0000000),
  a length over 64 bytes                                        message skipped
  a second message with the same CAN id or the same name        the second skipped
  a signal outside its message, of 0 or over 64 bits, a second one of the same name,
  or a float (SIG_VALTYPE_) of the wrong length                 signal dropped
  multiplexed signals whose switch is missing or was dropped    message skipped
  CM_, VAL_, BA_, SIG_VALTYPE_, SG_MUL_VAL_, BO_TX_BU_ that name a message or
  signal the file does not define (or a switch, in SG_MUL_VAL_) ignored
  a missing ';' before a keyword at the start of a line, 'm' without a value (read as 'M'),
  an unknown section, an attribute without BA_DEF_              read as meant
`;

/** `file:line:col: text` becomes `file:line:col: warning: text`; the file is known, so a colon in its name does no harm. */
function labelWarning(file: string, warning: string): string {
  const rest = warning.slice(file.length);
  const location = /^:\d+:\d+: /.exec(rest)?.[0] ?? ': ';
  return `${file}${location}warning: ${rest.slice(location.length)}`;
}

export function dbcCommand(args: string[], out: Output): number {
  const [sub, ...rest] = args;
  if (sub !== 'lint') {
    out.log(`persona dbc: expected "lint"\n\n${DBC_HELP}`);
    return EXIT_FAILURE;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: { warnings: { type: 'boolean' }, strict: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0) {
    out.log(`persona dbc lint: no files given\n\n${DBC_HELP}`);
    return EXIT_FAILURE;
  }
  let failed = 0;
  for (const file of positionals) {
    try {
      const dbc = loadDbcFile(file);
      const signals = dbc.messages.reduce((n, m) => n + m.signals.length, 0);
      const multiplexed = dbc.messages.reduce((n, m) => n + m.signals.filter((s) => s.multiplexValue !== undefined || s.multiplexSwitch !== undefined).length, 0);
      const warned = dbc.warnings.length > 0 ? `, ${dbc.warnings.length} warnings` : '';
      out.print(`${file}: ${dbc.messages.length} messages, ${signals} signals, ${multiplexed} multiplexed${warned}`);
      const failsStrict = values.strict === true && dbc.warnings.length > 0;
      if (failsStrict) failed++;
      // Under --strict a warning is a failure, so it goes where errors go.
      if (failsStrict) for (const warning of dbc.warnings) out.log(labelWarning(file, warning));
      else if (values.warnings === true) for (const warning of dbc.warnings) out.print(labelWarning(file, warning));
    } catch (err) {
      failed++;
      if (err instanceof DbcSyntaxError) for (const problem of err.problems) out.log(formatProblem({ ...problem, message: `error: ${problem.message}` }));
      else out.log(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return failed > 0 ? EXIT_FAILURE : 0;
}
