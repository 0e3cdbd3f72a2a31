import { parseArgs } from 'node:util';
import { SESSION_EXIT_HELP, SESSION_FLAGS, SESSION_FLAGS_HELP, reportAnswer, sessionOptions, withSession } from './mqtt-session.js';
import { UsageError, type Output } from './output.js';

export const RELEASE_HELP = `persona release <hold> <token> [--json]
  release a hold early (the release request), with the token that persona select printed for it
  --json            print the daemon's answer
${SESSION_FLAGS_HELP}
${SESSION_EXIT_HELP}
`;

export async function releaseCommand(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...SESSION_FLAGS, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const [hold, token, ...extra] = positionals;
  if (hold === undefined || token === undefined || extra.length > 0) throw new UsageError(`release: give the hold and its token\n\n${RELEASE_HELP}`);
  return withSession('release', sessionOptions(values), out, async (session) => {
    const answer = await session.request('release', { hold, token });
    if (values.json) out.print(JSON.stringify(answer));
    else if (answer.status === 200) out.print(`released hold ${hold}`);
    return reportAnswer('release', answer, out);
  });
}
