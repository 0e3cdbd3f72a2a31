import { parseArgs } from 'node:util';
import { systemClock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import { DocumentError } from '../common/schema.js';
import { peakPressure } from '../context/workload-features.js';
import { WorkloadSampler } from '../context/workload-sampler.js';
import { HostAgent } from '../host/host-agent.js';
import { Topics, type NamespacePayload } from '../mqtt/contract.js';
import type { InstanceContextDocument } from '../namespace/instance-context.js';
import { CONTEXT_FILTER, instanceOfContextTopic } from '../namespace/namespace-layout.js';
import { CREDENTIAL_FLAGS, CREDENTIAL_FLAGS_HELP, SESSION_EXIT_HELP, sessionOptions, withSession } from './mqtt-session.js';
import { EXIT_CONFIG, EXIT_FAILURE, UsageError, type Output } from './output.js';

export const HOST_HELP = `persona host --config FILE   run the hypervisor-side agent of the shared namespace
  writes each instance's context and the released, signed personalities into the namespace
  (a folder shared into the guests, and/or retained topics under persona/fleet/): docs/namespace.md
persona host status [--broker URL] [--json] [--timeout-ms N]
  every instance the namespace has a context for or that reports under persona/<id>/state/namespace:
  its context, the personalities it adopted and those it refused, and why
  --broker URL      the namespace's MQTT broker, mqtt:// or mqtts:// (default mqtt://127.0.0.1:1883)
  --timeout-ms N    how long to wait for the broker (default 5000)
${CREDENTIAL_FLAGS_HELP}
${SESSION_EXIT_HELP}
`;

const REPORT_FILTER = 'persona/+/state/namespace';

export async function hostCommand(args: string[], out: Output): Promise<number> {
  if (args[0] === 'status') return hostStatus(args.slice(1), out);
  const { values, positionals } = parseArgs({ args, options: { config: { type: 'string' }, 'log-level': { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError(`host: unexpected "${positionals.join(' ')}"\n\n${HOST_HELP}`);
  if (values.config === undefined) throw new UsageError(`host: --config FILE is required\n\n${HOST_HELP}`);
  const logger = createLogger('persona-host', values['log-level'] === 'debug' ? 'debug' : 'info');
  const sampler = new WorkloadSampler({ clock: systemClock });
  let agent: HostAgent;
  try {
    agent = new HostAgent(values.config, { logger, clock: systemClock, pressure: () => peakPressure(sampler.sample()) });
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    out.log(`persona host: invalid configuration\n${error.message}`);
    return EXIT_CONFIG;
  }
  await agent.start();
  logger.info(`distributing to ${Object.keys(agent.instances).join(', ')}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  return 0;
}

interface InstanceView {
  id: string;
  context: InstanceContextDocument | null;
  report: NamespacePayload | null;
}

async function hostStatus(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...CREDENTIAL_FLAGS, broker: { type: 'string' }, json: { type: 'boolean' }, 'timeout-ms': { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError(`host status: unexpected "${positionals.join(' ')}"\n\n${HOST_HELP}`);
  const options = { ...sessionOptions(values), topics: new Topics('fleet') };
  return withSession('host status', options, out, async (session) => {
    const found = await session.readRetainedMatching([CONTEXT_FILTER, REPORT_FILTER]);
    const views = new Map<string, InstanceView>();
    const view = (id: string): InstanceView => views.get(id) ?? views.set(id, { id, context: null, report: null }).get(id)!;
    for (const [topic, text] of found) {
      const fromContext = instanceOfContextTopic(topic);
      try {
        if (fromContext !== undefined) view(fromContext).context = JSON.parse(text) as InstanceContextDocument;
        else {
          const report = JSON.parse(text) as Partial<NamespacePayload> | null;
          if (!Array.isArray(report?.adopted) || !Array.isArray(report?.rejected)) throw new Error('not a state/namespace report');
          view(topic.split('/')[1]!).report = report as NamespacePayload;
        }
      } catch (error) {
        out.log(`persona host status: skipped ${topic}: ${(error as Error).message}`);
      }
    }
    if (views.size === 0) {
      out.log(`persona host status: no instance context or report retained at ${session.url} within ${session.timeoutMs} ms: is persona host running, and do the instances have a namespace?`);
      return EXIT_FAILURE;
    }
    const sorted = [...views.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    if (values.json) out.print(JSON.stringify({ instances: sorted }));
    else for (const line of sorted.flatMap(describeInstance)) out.print(line);
    return 0;
  });
}

/** A heading per instance, then one line per adopted and per refused personality. */
export function describeInstance(v: InstanceView): string[] {
  const c = v.context;
  const r = v.report;
  const where = [r?.profile ? `profile ${r.profile}` : 'generic personalities only', r?.hypervisor ? `on ${r.hypervisor}` : r ? 'on bare metal' : ''].filter(Boolean).join(', ');
  const heading = `${v.id}${r ? ` (${where})` : ' (no report: not running, or no namespace configured)'}`;
  const host = c ? `host says: ${c.role}, ${c.resources}, host pressure ${c.hostPressure === null ? 'n/a' : `${c.hostPressure} %`}, updated ${c.updated}` : 'host says: nothing (no context published)';
  const seen = r?.context ? `instance sees: ${r.context.stale ? 'stale, ignored' : 'fresh'} (updated ${r.context.updated})` : r ? `instance sees: no context${r.contextError ? ` (refused: ${r.contextError})` : ''}` : '';
  return [
    heading,
    `  ${host}`,
    ...(seen ? [`  ${seen}`] : []),
    ...(r?.adopted ?? []).map((a) => `  adopted  ${a.personality} version ${a.version}${a.time ? ` at ${a.time}` : ' (before this start)'} from ${a.from}`),
    ...(r?.rejected ?? []).map((x) => `  rejected ${x.personality} at ${x.time}: ${x.code} ${x.error}`),
    ...(r && r.adopted.length === 0 && r.rejected.length === 0 ? ['  nothing adopted or refused yet'] : []),
  ];
}
