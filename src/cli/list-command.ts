import { parseArgs } from 'node:util';
import type { HoldsPayload } from '../mqtt/contract.js';
import { SESSION_EXIT_HELP, SESSION_FLAGS, SESSION_FLAGS_HELP, reportAnswer, sessionOptions, withSession } from './mqtt-session.js';
import { UsageError, type Output } from './output.js';
import { describeHolds } from './status-command.js';

export const LIST_HELP = `persona list [--broker URL] [--ecu-id ID] [--json] [--timeout-ms N]
  the running daemon's personalities per driver (name, version, description) and the holds in
  force (request/list; --json prints the answer)
${SESSION_FLAGS_HELP}
${SESSION_EXIT_HELP}
`;

interface ListData {
  drivers: Record<string, Array<{ name: string; version: number; description: string }>>;
  holds: HoldsPayload['holds'];
}

export async function listCommand(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...SESSION_FLAGS, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError(`list: unexpected "${positionals.join(' ')}"\n\n${LIST_HELP}`);
  return withSession('list', sessionOptions(values), out, async (session) => {
    const answer = await session.request('list', {});
    if (values.json) out.print(JSON.stringify(answer));
    if (answer.status !== 200 || values.json) return reportAnswer('list', answer, out);
    const { drivers, holds } = answer.data as ListData;
    for (const [driver, personalities] of Object.entries(drivers)) {
      out.print(`${driver}:`);
      const width = Math.max(...personalities.map((p) => p.name.length));
      for (const p of personalities) out.print(`  ${p.name.padEnd(width)}  ${`v${p.version}`.padEnd(4)}  ${p.description}`);
    }
    for (const line of describeHolds(holds)) out.print(line);
    return 0;
  });
}
