#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { EXIT_FAILURE, UsageError, type Output } from './output.js';
import { RUN_HELP, runCommand } from './run-command.js';
import { SYNTH_HELP, synthCommand } from './synth-command.js';
import { DBC_HELP, dbcCommand } from './dbc-command.js';
import { SIGNALS_HELP, signalsCommand } from './signals-command.js';
import { MANIFEST_HELP, manifestCommand } from './manifest-command.js';
import { TRUST_HELP, trustCommand } from './trust-command.js';
import { SIMULATE_HELP, simulateCommand } from './simulate-command.js';
import { WHY_HELP, whyCommand } from './why-command.js';
import { STATUS_HELP, statusCommand } from './status-command.js';
import { LIST_HELP, listCommand } from './list-command.js';
import { SELECT_HELP, selectCommand } from './select-command.js';
import { RELEASE_HELP, releaseCommand } from './release-command.js';
import { WATCH_HELP, watchCommand } from './watch-command.js';
import { DIAGRAM_HELP, diagramCommand } from './diagram-command.js';

const HELP = `persona — runtime personalities for device drivers

usage: persona <command> [options]

commands:
  run        run the daemon: CAN → context → personality → driver → MQTT
  why        explain the running daemon's latest decision
  status     the running daemon's state: context, personality per driver, holds
  list       the running daemon's personalities per driver, and its holds
  select     hold a personality for a driver; prints the token that releases it
  release    release a hold with its token
  watch      follow context changes, switches, holds and refusals as they happen
  simulate   run the decision pipeline over a recorded drive, offline
  signals    print a vehicle's decoded VSS signals from CAN (a first check)
  dbc        lint DBC files
  synth      encode a drive profile into a candump log
  diagram    render the context statechart to SVG (Graphviz)
  manifest   make keys, sign, verify, lint and explain personality manifests
  trust      create and rotate the trust root that says which keys may sign
  version    print the version
  help       this text (persona help <command> for one command)

${RUN_HELP}
${WHY_HELP}
${STATUS_HELP}
${LIST_HELP}
${SELECT_HELP}
${RELEASE_HELP}
${WATCH_HELP}
${SIMULATE_HELP}
${SIGNALS_HELP}
${DBC_HELP}
${SYNTH_HELP}
${DIAGRAM_HELP}
${MANIFEST_HELP}
${TRUST_HELP}`;

const COMMAND_HELP: Record<string, string> = { run: RUN_HELP, why: WHY_HELP, status: STATUS_HELP, list: LIST_HELP, select: SELECT_HELP, release: RELEASE_HELP, watch: WATCH_HELP, simulate: SIMULATE_HELP, signals: SIGNALS_HELP, dbc: DBC_HELP, synth: SYNTH_HELP, diagram: DIAGRAM_HELP, manifest: MANIFEST_HELP, trust: TRUST_HELP };

/* eslint-disable no-console -- the CLI's own output */
const output: Output = { print: (line) => console.log(line), log: (line) => console.error(line) };
/* eslint-enable no-console */

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'run':
      return runCommand(args, output);
    case 'why':
      return whyCommand(args, output);
    case 'status':
      return statusCommand(args, output);
    case 'list':
      return listCommand(args, output);
    case 'select':
      return selectCommand(args, output);
    case 'release':
      return releaseCommand(args, output);
    case 'watch':
      return watchCommand(args, output);
    case 'simulate':
      return simulateCommand(args, output);
    case 'signals':
      return signalsCommand(args, output);
    case 'dbc':
      return dbcCommand(args, output);
    case 'synth':
      return synthCommand(args, output);
    case 'diagram':
      return diagramCommand(args, output);
    case 'manifest':
      return manifestCommand(args, output);
    case 'trust':
      return trustCommand(args, output);
    case 'version':
    case '--version':
      output.print((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      output.print((args[0] === undefined ? undefined : COMMAND_HELP[args[0]]) ?? HELP);
      return 0;
    default:
      output.log(`persona: unknown command "${command}"\n\n${HELP}`);
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
