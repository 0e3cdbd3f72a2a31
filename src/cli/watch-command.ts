import { parseArgs } from 'node:util';
import type { ContextPayload, HealthPayload, HoldsPayload, ManifestEventPayload, PersonalityPayload, RejectedPayload, StatusPayload, SwitchPayload, Topics } from '../mqtt/contract.js';
import { SESSION_EXIT_HELP, SESSION_FLAGS, SESSION_FLAGS_HELP, sessionOptions, withSession } from './mqtt-session.js';
import { EXIT_FAILURE, UsageError, type Output } from './output.js';
import { describeContext, describeHold, describePersonality, describeStatus } from './status-command.js';

export const WATCH_HELP = `persona watch [--broker URL] [--ecu-id ID] [--json]
  follow the running daemon, one line per message as it comes: status, context changes,
  personality changes, switches, holds, manifest reloads and refused requests; the retained
  state comes first (--json: one object a line, {topic, retained, payload}). Ctrl-C stops it
${SESSION_FLAGS_HELP}
${SESSION_EXIT_HELP}
`;

function describeSwitch(s: SwitchPayload): string {
  const changes = s.changes.map((c) => `${c.name} ${c.from ?? ''}→${c.to}`);
  const pending = s.pending.map((p) => `${p.name} ${p.to}`);
  return [
    `${s.time} ${s.target} ${s.from ?? '(none)'} → ${s.to}, ${s.trigger.reason} (${s.trigger.source} ${s.trigger.rule})`,
    changes.length > 0 ? `: ${changes.join(', ')}` : ': no parameter changed',
    pending.length > 0 ? `; waiting for a standstill: ${pending.join(', ')}` : '',
  ].join('');
}

/** The line for a message on one of the watched topics. */
function describe(topics: Topics, topic: string, payload: unknown): string {
  switch (topic) {
    case topics.status:
      return `status ${describeStatus(payload as StatusPayload)}`;
    case topics.stateContext:
      return `context ${describeContext(payload as ContextPayload)}`;
    case topics.statePersonality:
      return `personality ${describePersonality(payload as PersonalityPayload)
        .map((l) => l.trim())
        .join('; ')}`;
    case topics.stateHolds: {
      const { holds } = payload as HoldsPayload;
      return `holds ${holds.length === 0 ? 'none' : holds.map(describeHold).join('; ')}`;
    }
    case topics.eventSwitch:
      return `switch ${describeSwitch(payload as SwitchPayload)}`;
    case topics.eventManifest: {
      const m = payload as ManifestEventPayload;
      const version = (v: number | null): string => (v === null ? 'none' : `v${v}`);
      const changed = m.changed.map((c) => `; changed ${c.driver}/${c.name} ${version(c.from)} → ${version(c.to)}`).join('');
      return `manifests ${m.time} reloaded: ${m.personalities} personalities${changed}${m.rejected.map((r) => `; rejected ${r.file}: ${r.code} ${r.error}`).join('')}`;
    }
    case topics.eventHealth: {
      const h = payload as HealthPayload;
      const breaches = h.breaches.map((b) => `${b.metric} ${b.value} ${b.bound === 'max' ? '>' : '<'} ${b.limit}`).join(', ');
      return `health ${h.time} ${h.personality} on ${h.target} broke its bounds ${h.afterMs} ms after the switch (${breaches}): back to ${h.revertTo ?? 'nothing'}, quarantined`;
    }
    default: {
      const r = payload as RejectedPayload;
      return `rejected ${r.time} ${r.what}: ${r.status}${r.code ? ` ${r.code}` : ''} ${r.error}`;
    }
  }
}

export async function watchCommand(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...SESSION_FLAGS, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError(`watch: unexpected "${positionals.join(' ')}"\n\n${WATCH_HELP}`);
  return withSession('watch', sessionOptions(values), out, async (session) => {
    const t = session.topics;
    let stop = (): void => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await session.listen([t.status, t.stateContext, t.statePersonality, t.stateHolds, t.eventSwitch, t.eventManifest, t.eventHealth, t.eventRejected], (topic, text, retained) => {
        let payload: unknown;
        try {
          payload = JSON.parse(text);
        } catch {
          // Someone else's stray message on the daemon's topic: show it rather than stop watching.
          return out.print(values.json ? JSON.stringify({ topic, retained, text }) : `${topic} (not JSON): ${text}`);
        }
        out.print(values.json ? JSON.stringify({ topic, retained, payload }) : describe(t, topic, payload));
      });
      out.log(`persona watch: following ${t.root}/ at ${session.url}; Ctrl-C to stop`);
      const lost = await Promise.race([stopped.then(() => undefined), session.lost]);
      if (lost === undefined) return 0;
      out.log(`persona watch: lost the MQTT broker at ${session.url}: ${lost.message}`);
      return EXIT_FAILURE;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}
