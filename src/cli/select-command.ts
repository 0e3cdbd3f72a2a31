import { parseArgs } from 'node:util';
import { SESSION_FLAGS, SESSION_FLAGS_HELP, describeRefusal, reportAnswer, sessionFlagsAgain, sessionOptions, withSession } from './mqtt-session.js';
import { EXIT_PLACED_NOT_IN_FORCE, UsageError, type Output } from './output.js';

export const SELECT_HELP = `persona select <personality> [--driver D] [--hold DURATION] [--priority N] [--json]
  hold a personality for a driver (the select request): it beats the policy until it is released or
  lapses, unless a stronger hold or a safety rule wins. Prints the hold id and its token; the
  token is the only way to release the hold early, so keep it.
  --hold DURATION   how long the hold lasts: 90s, 10m, 2h (default 10m, at most 24h). Always
                    sent: the CLI keeps no presence online after it exits, and the daemon takes
                    a hold only if it ends, by time or by its owner going offline
  --driver D        the driver, when several have this personality
  --priority N      1–1000, the higher hold wins, up to the ceiling of your role (default 10);
                    the hold is yours: its owner is the name the broker knows you by (--username)
  --json            print the daemon's answer
${SESSION_FLAGS_HELP}
  exit codes: 0 the hold is placed and in force; ${EXIT_PLACED_NOT_IN_FORCE} placed but not in force (outranked, gated
  until a standstill, or deferred; the daemon's 409): the hold stands, its token and the reason
  are printed; 1 refused (with the status and code, e.g. 403 E_PRIORITY), or no broker or daemon;
  2 a file a flag names cannot be read
`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `90s`, `10m`, `2h` in seconds; the daemon checks the range. */
function holdSeconds(text: string): number {
  const match = /^(\d+)([smh])$/.exec(text);
  if (!match) throw new UsageError(`select: --hold takes a duration like 90s, 10m or 2h, got "${text}"`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

interface SelectData {
  hold: string;
  token: string;
  driver: string;
  personality: string;
  targets: Array<{ target: string; winner: string; personality: string; result: string; waiting: Record<string, string> }>;
}

export async function selectCommand(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...SESSION_FLAGS, driver: { type: 'string' }, hold: { type: 'string' }, priority: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [personality, ...extra] = positionals;
  if (personality === undefined || extra.length > 0) throw new UsageError(`select: name one personality\n\n${SELECT_HELP}`);
  const seconds = holdSeconds(values.hold ?? '10m');
  const priority = values.priority === undefined ? undefined : Number(values.priority);
  if (priority !== undefined && !Number.isInteger(priority)) throw new UsageError(`select: --priority takes a whole number, got "${values.priority}"`);
  return withSession('select', sessionOptions(values), out, async (session) => {
    const answer = await session.request('select', {
      personality,
      holdSeconds: seconds,
      ...(values.driver !== undefined ? { driver: values.driver } : {}),
      ...(priority !== undefined ? { priority } : {}),
    });
    if (values.json) out.print(JSON.stringify(answer));
    // A 409 placed the hold all the same: its token must not be lost.
    else if (answer.data && 'token' in answer.data) {
      const data = answer.data as SelectData;
      out.print(`hold ${data.hold} placed${answer.status === 200 ? '' : ', not in force'}: ${data.personality} for ${data.driver}, ${values.hold ?? '10m'}`);
      out.print(`token: ${data.token}`);
      out.print(['release with: persona release', data.hold, data.token, ...sessionFlagsAgain(values)].join(' '));
      for (const t of data.targets) {
        const waiting = Object.entries(t.waiting).map(([name, value]) => `${name} ${value}`);
        out.print(`  ${t.target}: ${t.personality}, chosen by ${t.winner}, ${t.result}${waiting.length > 0 ? `; waiting for a standstill: ${waiting.join(', ')}` : ''}`);
      }
    }
    if (answer.status === 409 && answer.data && 'token' in answer.data) {
      out.log(describeRefusal('select', answer));
      return EXIT_PLACED_NOT_IN_FORCE;
    }
    return reportAnswer('select', answer, out);
  });
}
