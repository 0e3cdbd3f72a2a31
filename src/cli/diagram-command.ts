import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../common/package-root.js';
import { readJsonDocument } from '../common/schema.js';
import { sourceMarker, statechartToDot } from '../context/statechart-dot.js';
import { EXIT_FAILURE, type Output } from './output.js';

export const DIAGRAM_HELP = `persona diagram [--statechart FILE] [--out FILE.svg]
  render the context statechart with Graphviz (dot); default docs/statechart.svg
`;

export function diagramCommand(args: string[], out: Output): number {
  const { values } = parseArgs({ args, options: { statechart: { type: 'string' }, out: { type: 'string' } }, strict: true });
  const root = packageRoot();
  const file = values.statechart ?? join(root, 'statecharts/driving-context.json');
  const target = values.out ?? join(root, 'docs/statechart.svg');
  const dot = statechartToDot(readJsonDocument(file, (f) => readFileSync(f, 'utf8')) as Parameters<typeof statechartToDot>[0]);
  const rendered = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (rendered.error || rendered.status !== 0) {
    out.log(`persona diagram: Graphviz failed (${rendered.error?.message ?? rendered.stderr.trim()}); install it: apt-get install graphviz`);
    return EXIT_FAILURE;
  }
  // The marker goes after the XML declaration, where a comment is allowed.
  const svg = rendered.stdout.replace(/^(<\?xml[^>]*>\n)?/, (decl) => `${decl}${sourceMarker(dot)}\n`);
  writeFileSync(target, svg);
  out.log(`persona diagram: wrote ${target} from ${file}`);
  return 0;
}
