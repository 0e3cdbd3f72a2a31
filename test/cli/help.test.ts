import t from 'tap';
import { COMMANDS } from '../../src/cli/commands.js';
import { spawnPersona } from '../helpers/persona-process.js';

/** What the CLI prints for `text`: console.log adds a newline after the help's own. */
const printed = (text: string): string[] => text.split('\n');

for (const [name, command] of Object.entries(COMMANDS)) {
  void t.test(`persona ${name}: --help, -h and persona help ${name} print its help`, async (t) => {
    const { help } = await command.load();
    for (const args of [[name, '--help'], [name, '-h'], ['help', name]]) {
      const p = spawnPersona(t, args);
      t.same(await p.exited, { code: 0, signal: null }, `persona ${args.join(' ')} exits 0`);
      t.same(p.stdout, printed(help), `persona ${args.join(' ')} prints the help of ${name}`);
    }
  });
}

void t.test('help after a subcommand, among other flags, is still the command\'s help', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['dbc', ['dbc', 'lint', '--help']],
    ['manifest', ['manifest', 'sign', '--key', 'k.pem', '--help']],
    ['host', ['host', 'status', '-h']],
    ['trust', ['trust', 'rotate', '--help']],
    ['simulate', ['simulate', '--can', 'replay:nowhere.log', '--help']],
    ['dbc', ['help', 'dbc', 'lint']],
  ];
  for (const [name, args] of cases) {
    const p = spawnPersona(t, args);
    t.same(await p.exited, { code: 0, signal: null }, `persona ${args.join(' ')} exits 0`);
    t.same(p.stdout, printed((await COMMANDS[name]!.load()).help), `persona ${args.join(' ')} prints the help of ${name}`);
  }
});

void t.test('help for a name that is no command says so and lists the commands', async (t) => {
  const p = spawnPersona(t, ['help', 'nosuch']);
  t.same(await p.exited, { code: 1, signal: null });
  t.same(p.stdout, []);
  t.match(p.stderr.join('\n'), `persona help: no command "nosuch"; the commands are ${Object.keys(COMMANDS).join(', ')}, version, help`);
  const inherited = spawnPersona(t, ['help', 'constructor']);
  t.same(await inherited.exited, { code: 1, signal: null }, 'a name from Object.prototype is no command either');
});

void t.test('a --help after -- is an argument, not a request for help', async (t) => {
  const p = spawnPersona(t, ['dbc', 'lint', '--', '--help']);
  t.same(await p.exited, { code: 1, signal: null });
  t.match(p.stderr.join('\n'), /^--help: ENOENT$/m);
});
