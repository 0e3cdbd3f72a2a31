import { parseArgs } from 'node:util';
import type { DecisionRecord } from '../daemon/decision-record.js';
import { describeDecision } from './decision-text.js';
import { SESSION_EXIT_HELP, SESSION_FLAGS, SESSION_FLAGS_HELP, sessionOptions, withSession } from './mqtt-session.js';
import { EXIT_FAILURE, type Output } from './output.js';

export const WHY_HELP = `persona why [--broker URL] [--ecu-id ID] [--json]
  explain the running daemon's latest decision: when (by the wall clock, and its CAN time),
  context, inputs, winner and losers per driver (read from its retained
  persona/<ecu-id>/state/decision; --timeout-ms defaults to 3000 here)
${SESSION_FLAGS_HELP}
${SESSION_EXIT_HELP}
`;

export async function whyCommand(args: string[], out: Output): Promise<number> {
  const { values } = parseArgs({ args, options: { ...SESSION_FLAGS, json: { type: 'boolean' } }, strict: true });
  return withSession('why', sessionOptions(values, 3000), out, async (session) => {
    const topic = session.topics.stateDecision;
    const text = (await session.readRetained([topic], [topic])).get(topic);
    if (text === undefined) {
      out.log(`persona why: no decision on ${topic} at ${session.url} within ${session.timeoutMs} ms: is the daemon running with this --ecu-id?`);
      return EXIT_FAILURE;
    }
    if (values.json) out.print(text);
    else for (const line of describeDecision(JSON.parse(text) as DecisionRecord)) out.print(line);
    return 0;
  });
}
