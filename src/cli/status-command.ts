import { parseArgs } from 'node:util';
import type { ContextPayload, HoldsPayload, PersonalityPayload, StatusPayload, WorkloadPayload } from '../mqtt/contract.js';
import { SESSION_EXIT_HELP, SESSION_FLAGS, SESSION_FLAGS_HELP, sessionOptions, withSession } from './mqtt-session.js';
import { EXIT_FAILURE, UsageError, type Output } from './output.js';

export const STATUS_HELP = `persona status [--broker URL] [--ecu-id ID] [--json] [--timeout-ms N]
  the running daemon's state, read from its retained topics: online or offline and the backend,
  the driving context and workload, each driver's personality with the parameters waiting for a
  standstill, and the holds in force (--json: one object, each topic's payload or null)
${SESSION_FLAGS_HELP}
${SESSION_EXIT_HELP}
`;

type Hold = HoldsPayload['holds'][number];

const entries = (values: Readonly<Record<string, string>>): string =>
  Object.entries(values)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');

export function describeStatus(s: StatusPayload): string {
  return [
    s.state,
    s.reason !== undefined ? ` (${s.reason})` : '',
    s.backend ? `, ${s.backend} backend` : '',
    s.note !== undefined ? ` (${s.note})` : '',
    s.droppedEvents ? `, ${s.droppedEvents} events dropped while the broker was unreachable` : '',
  ].join('');
}

export function describeContext(c: ContextPayload): string {
  const host = [...(c.role !== null ? [`role ${c.role}`] : []), ...(c.hostPressure !== null ? [`host pressure ${c.hostPressure.toFixed(1)} %`] : [])];
  const instance = `instance ${c.instance}${host.length > 0 ? ` (${host.join(', ')})` : ''}`;
  return `driving ${c.context}, workload ${c.workload}, io ${c.io}, ${instance}, ${c.speedKmh === null ? 'speed unknown' : `${c.speedKmh.toFixed(1)} km/h`}, since ${c.since}`;
}

export function describeWorkload(w: WorkloadPayload): string {
  return `${w.workload}, io ${w.io} (pressure cpu ${w.cpuPressure.toFixed(1)} %, memory ${w.memoryPressure.toFixed(1)} %, io ${w.ioPressure === null ? 'n/a' : `${w.ioPressure.toFixed(1)} %`})`;
}

/** One line per target, and one more for the parameters that wait for a standstill. */
export function describePersonality(p: PersonalityPayload): string[] {
  return Object.entries(p.drivers).flatMap(([target, d]) => [
    `${target} (${d.resources.join(', ')}): ${d.personality}, generation ${d.generation}, since ${d.since}`,
    ...(Object.keys(d.pending).length > 0 ? [`  waiting for a standstill: ${entries(d.pending)}`] : []),
  ]);
}

/** A hold with its end as the daemon's wall clock has it: a fixed time, or the lease of its owner's presence. */
export function describeHold(h: Hold): string {
  return `${h.id}: ${h.personality} for ${h.driver}, owner ${h.owner}, priority ${h.priority}, ${h.whilePresent ? `while ${h.owner} is present, lease until ${h.expires}` : `until ${h.expires}`}`;
}

/** `holds: none`, or a heading and one indented line per hold. */
export function describeHolds(holds: readonly Hold[]): string[] {
  return holds.length === 0 ? ['holds: none'] : ['holds:', ...holds.map((h) => `  ${describeHold(h)}`)];
}

export async function statusCommand(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...SESSION_FLAGS, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError(`status: unexpected "${positionals.join(' ')}"\n\n${STATUS_HELP}`);
  return withSession('status', sessionOptions(values), out, async (session) => {
    const t = session.topics;
    const found = await session.readRetained([t.status, t.stateContext, t.stateWorkload, t.statePersonality, t.stateHolds], [t.status, t.stateContext, t.statePersonality, t.stateHolds]);
    if (found.size === 0) {
      out.log(`persona status: nothing retained under ${t.root}/ at ${session.url} within ${session.timeoutMs} ms: is the daemon running with this --ecu-id?`);
      return EXIT_FAILURE;
    }
    const read = <T>(topic: string): T | null => {
      const text = found.get(topic);
      return text === undefined ? null : (JSON.parse(text) as T);
    };
    const state = {
      status: read<StatusPayload>(t.status),
      context: read<ContextPayload>(t.stateContext),
      workload: read<WorkloadPayload>(t.stateWorkload),
      personality: read<PersonalityPayload>(t.statePersonality),
      holds: read<HoldsPayload>(t.stateHolds),
    };
    if (values.json) {
      out.print(JSON.stringify(state));
      return 0;
    }
    const { status, context, workload, personality, holds } = state;
    out.print(`${t.root} at ${session.url}: ${status ? describeStatus(status) : 'no status published'}`);
    // The retained state outlives the daemon: say that it is the last one known.
    if (status?.state === 'offline') out.print('  (the daemon is offline: below is the last state it published)');
    out.print(`context: ${context ? describeContext(context) : 'not published yet'}`);
    if (workload) out.print(`workload: ${describeWorkload(workload)}`);
    if (personality) for (const line of describePersonality(personality)) out.print(line);
    else out.print('personality: not published yet');
    for (const line of holds ? describeHolds(holds.holds) : ['holds: not published yet']) out.print(line);
    return 0;
  });
}
