#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { COMMANDS } from './commands.js';
import { EXIT_FAILURE, UsageError, type Output } from './output.js';

/** Commands main answers itself, with their help. */
const BUILT_IN: Record<string, string> = {
  version: 'persona version   print the version\n',
  help: 'persona help [COMMAND]   every command\'s help, or one command\'s (also: persona COMMAND --help)\n',
};

const HELP_FLAGS = new Set(['--help', '-h']);

async function help(): Promise<string> {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  const details = await Promise.all(Object.values(COMMANDS).map(async (c) => (await c.load()).help));
  return [
    'persona — runtime personalities for device drivers',
    '',
    'usage: persona <command> [options]',
    '',
    'commands:',
    ...lines,
    `  ${'version'.padEnd(10)} print the version`,
    `  ${'help'.padEnd(10)} this text (persona help <command>, or persona <command> --help, for one command)`,
    '',
    details.join('\n'),
  ].join('\n');
}

/** One command's help, or undefined for a name that is no command. */
async function commandHelp(name: string): Promise<string | undefined> {
  if (Object.hasOwn(COMMANDS, name)) return (await COMMANDS[name]!.load()).help;
  return Object.hasOwn(BUILT_IN, name) ? BUILT_IN[name] : undefined;
}

/**
 * `--help` or `-h` anywhere before a `--` asks for help, after a subcommand too
 * (`persona dbc lint --help`): no command parses it itself.
 */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => HELP_FLAGS.has(a));
}

/* eslint-disable no-console -- the CLI's own output */
const output: Output = { print: (line) => console.log(line), log: (line) => console.error(line) };
/* eslint-enable no-console */

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command !== undefined && Object.hasOwn(COMMANDS, command)) {
    const loaded = await COMMANDS[command]!.load();
    if (!asksForHelp(args)) return loaded.run(args, output);
    output.print(loaded.help);
    return 0;
  }
  switch (command) {
    case 'version':
    case '--version':
      if (asksForHelp(args)) {
        output.print(BUILT_IN.version!);
        return 0;
      }
      output.print((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h': {
      if (args[0] === undefined || asksForHelp(args.slice(0, 1))) {
        output.print(await help());
        return 0;
      }
      const one = await commandHelp(args[0]);
      if (one !== undefined) {
        output.print(one);
        return 0;
      }
      output.log(`persona help: no command "${args[0]}"; the commands are ${[...Object.keys(COMMANDS), ...Object.keys(BUILT_IN)].join(', ')}`);
      return EXIT_FAILURE;
    }
    default:
      output.log(`persona: unknown command "${command}"\n\n${await help()}`);
      return EXIT_FAILURE;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    output.log(err instanceof UsageError || (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `persona: ${err.message}` : `persona: ${err.stack ?? err.message}`);
    process.exitCode = EXIT_FAILURE;
  },
);
