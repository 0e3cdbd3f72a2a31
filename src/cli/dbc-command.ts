import { parseArgs } from 'node:util';
import { loadDbcFile } from '../signals/dbc-parser.js';
import { DbcSyntaxError } from '../signals/dbc-tokenizer.js';
import { EXIT_FAILURE, type Output } from './output.js';

export const DBC_HELP = `persona dbc lint FILE…   load DBC files; print counts per file, or errors as file:line:col
  exit code 1 if any file has an error; warnings (tolerated sloppiness) are listed with --warnings
`;

export function dbcCommand(args: string[], out: Output): number {
  const [sub, ...rest] = args;
  if (sub !== 'lint') {
    out.log(`persona dbc: expected "lint"\n\n${DBC_HELP}`);
    return EXIT_FAILURE;
  }
  const { values, positionals } = parseArgs({ args: rest, options: { warnings: { type: 'boolean' } }, allowPositionals: true, strict: true });
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
      if (values.warnings) for (const w of dbc.warnings) out.print(`  warning: ${w}`);
    } catch (err) {
      failed++;
      if (err instanceof DbcSyntaxError) out.log(err.message);
      else out.log(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return failed > 0 ? EXIT_FAILURE : 0;
}
