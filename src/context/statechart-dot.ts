import { createHash } from 'node:crypto';

type Guard = string | { type: string; params?: Record<string, unknown> };
interface Transition {
  target: string;
  guard?: Guard;
}
interface RegionNode {
  initial: string;
  states: Record<string, { description?: string; on?: Record<string, Transition[]> }>;
}

const REGION_TITLE: Record<string, string> = { driving: 'driving context (SAMPLE)', workload: 'workload (WORKLOAD)', io: 'I/O pattern (WORKLOAD)', instance: 'instance, as the host rates it (INSTANCE)' };
const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** `kmh 90, dwell 5 s`: a guard's params as a short edge label. */
function describeGuard(guard: Guard | undefined): string {
  if (guard === undefined) return 'always';
  if (typeof guard === 'string') return guard;
  const params = Object.entries(guard.params ?? {}).map(([k, v]) => (k === 'minDwellMs' ? `dwell ${Number(v) / 1000} s` : `${k} ${String(v)}`));
  return [guard.type, params.join(', ')].filter(Boolean).join('\n');
}

/**
 * The statechart as Graphviz DOT: one cluster per region, one edge per transition,
 * labelled with its guard and thresholds. Deterministic, so its hash tells whether a
 * rendered picture is current.
 */
export function statechartToDot(definition: { states: Record<string, RegionNode> }): string {
  const lines = ['digraph context {', '  rankdir=LR; compound=true; fontname="Helvetica"; node [fontname="Helvetica", shape=box, style=rounded]; edge [fontname="Helvetica", fontsize=9];'];
  for (const [region, node] of Object.entries(definition.states)) {
    lines.push(`  subgraph cluster_${region} {`, `    label=${quote(REGION_TITLE[region] ?? region)}; style=dashed;`);
    lines.push(`    ${quote(`${region}.start`)} [shape=point, label=""];`, `    ${quote(`${region}.start`)} -> ${quote(`${region}.${node.initial}`)};`);
    for (const [name, state] of Object.entries(node.states)) lines.push(`    ${quote(`${region}.${name}`)} [label=${quote(name)}, tooltip=${quote(state.description ?? name)}];`);
    for (const [name, state] of Object.entries(node.states)) {
      for (const [event, transitions] of Object.entries(state.on ?? {})) {
        transitions.forEach((t, i) => lines.push(`    ${quote(`${region}.${name}`)} -> ${quote(`${region}.${t.target}`)} [label=${quote(`${i + 1}. ${describeGuard(t.guard)}`)}, tooltip=${quote(event)}];`));
      }
    }
    lines.push('  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** The marker a rendered SVG carries: the hash of the DOT it was made from. */
export function sourceMarker(dot: string): string {
  return `<!-- persona-statechart-source sha256:${createHash('sha256').update(dot).digest('hex')} -->`;
}
