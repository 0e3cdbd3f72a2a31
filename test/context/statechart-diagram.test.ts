import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourceMarker, statechartToDot } from '../../src/context/statechart-dot.js';
import { declaredTransitions, statechart } from './machine-fixtures.js';
import { packageRoot } from '../../src/common/package-root.js';

const svg = readFileSync(join(packageRoot(), 'docs/statechart.svg'), 'utf8');
const dot = statechartToDot(statechart as unknown as Parameters<typeof statechartToDot>[0]);

void t.test('docs/statechart.svg was rendered from the current statechart (regenerate: npm run diagram)', async (t) => {
  t.ok(svg.includes(sourceMarker(dot)), 'the SVG carries the hash of the DOT made from statecharts/driving-context.json');
});

void t.test('the diagram shows every state and every transition with its thresholds', async (t) => {
  for (const [region, node] of Object.entries(statechart.states)) {
    for (const name of Object.keys(node.states)) t.ok(svg.includes(`>${name}</text>`), `${region}.${name} is drawn`);
  }
  const edges = dot.split('\n').filter((l) => l.includes(' -> ') && !l.includes('.start'));
  t.equal(edges.length, declaredTransitions().length, 'one edge per declared transition');
  t.ok(dot.includes('"driving.city" -> "driving.highway" [label="4. isSpeedAbove\\nkmh 90, dwell 5 s"'), 'labelled with its guard and thresholds');
});
