import t from 'tap';
import { execFile } from 'node:child_process';
import { COMMANDS } from '../../src/cli/commands.js';
import { packageRoot } from '../../src/common/package-root.js';
import { CLI } from '../helpers/persona-process.js';

interface Ran {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI once; help writes nothing, so every run shares the package folder. */
function persona(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: packageRoot() }, (error, stdout, stderr) => resolve({ args, code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

/** Runs them all, two at a time, and answers in their order. */
async function runAll(cases: string[][]): Promise<Ran[]> {
  const results: Ran[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < cases.length; i = next++) results[i] = await persona(cases[i]!);
  };
  await Promise.all([worker(), worker()]);
  return results;
}

// Some 40 processes, each loading its command (run loads the whole daemon): more than the
// default two minutes on a busy machine.
t.setTimeout(300_000);

/** What the CLI prints for a help text: console.log adds a newline after the text's own. */
const printed = (help: string): string => `${help}\n`;

void t.test('persona COMMAND --help and persona help COMMAND print that command\'s help, for every command', async (t) => {
  const cases = Object.keys(COMMANDS).flatMap((name) => [[name, '--help'], ['help', name]]);
  for (const ran of await runAll(cases)) {
    const name = ran.args[0] === 'help' ? ran.args[1]! : ran.args[0]!;
    t.same({ code: ran.code, stdout: ran.stdout }, { code: 0, stdout: printed((await COMMANDS[name]!.load()).help) }, `persona ${ran.args.join(' ')}`);
  }
});

void t.test('-h, and help after a subcommand or among other flags, is still the command\'s help', async (t) => {
  const cases: Record<string, string[]> = {
    dbc: ['dbc', 'lint', '--help'],
    manifest: ['manifest', 'sign', '--key', 'k.pem', '--help'],
    host: ['host', 'status', '-h'],
    trust: ['trust', 'rotate', '--help'],
    simulate: ['simulate', '--can', 'replay:nowhere.log', '-h'],
    synth: ['help', 'synth', 'extra'],
  };
  for (const ran of await runAll(Object.values(cases))) {
    const name = Object.keys(cases).find((n) => cases[n] === ran.args)!;
    t.same({ code: ran.code, stdout: ran.stdout }, { code: 0, stdout: printed((await COMMANDS[name]!.load()).help) }, `persona ${ran.args.join(' ')}`);
  }
});

void t.test('help for a name that is no command says so and lists the commands; a --help after -- is an argument', async (t) => {
  const [nosuch, inherited, afterDashes, helpHelp] = await runAll([['help', 'nosuch'], ['help', 'constructor'], ['dbc', 'lint', '--', '--help'], ['help', '--help']]);
  t.same({ code: helpHelp?.code, stderr: helpHelp?.stderr }, { code: 0, stderr: '' }, 'persona help --help is the help');
  t.match(helpHelp?.stdout, /^persona — runtime personalities for device drivers/);
  t.same(nosuch, { args: ['help', 'nosuch'], code: 1, stdout: '', stderr: `persona help: no command "nosuch"; the commands are ${Object.keys(COMMANDS).join(', ')}, version, help\n` });
  t.equal(inherited?.code, 1, 'a name from Object.prototype is no command either');
  t.same({ code: afterDashes?.code, stderr: afterDashes?.stderr }, { code: 1, stderr: '--help: ENOENT\n' }, 'dbc lint reads a file named --help');
});
