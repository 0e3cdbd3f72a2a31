import type { DriveTrace } from './drive-trace.js';

/** Band colours of the driving contexts (light, so that the speed curve stays readable on them). */
const CONTEXT_COLOURS: Record<string, string> = {
  unknown: '#eeeeee',
  parked: '#c6dbef',
  city: '#c7e9c0',
  highway: '#fdd0a2',
  offroad: '#dadaeb',
};
const FALLBACK_COLOUR = '#f7f7f7';

const WIDTH = 1200;
const HEIGHT = 560;
const MARGIN = { left: 70, right: 30, top: 120, bottom: 90 };
const LABEL_ROWS = 3;
/** A generous width of one bold 13 px character, to tell whether a label fits. */
const LABEL_CHAR_PX = 8;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round step for about `ticks` ticks over `span`. */
function tickStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
}

/** Why a switch happened, when it was not the context changing: that is what the bands show already. */
function reasonSuffix(trigger: string): string {
  if (trigger === 'start') return ' (start)';
  if (trigger === 'standstill') return ' (rest at standstill)';
  if (trigger.startsWith('minimum interval')) return ' (after min. interval)';
  return '';
}

/**
 * docs/drive.svg: the vehicle's speed over the drive, the driving context as coloured bands
 * behind it, and a marked line at each switch with the personality applied.
 */
export function drivePlot(trace: DriveTrace, labels: { title: string; backend: string }): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const endS = Math.max(trace.endS, 1);
  const maxKmh = Math.max(20, ...trace.speed.map((p) => p.kmh ?? 0));
  const yStep = tickStep(maxKmh, 6);
  const yMax = Math.ceil(maxKmh / yStep) * yStep;
  const x = (s: number): number => MARGIN.left + (s / endS) * plotW;
  const y = (kmh: number): number => MARGIN.top + plotH - (kmh / yMax) * plotH;
  const fmt = (n: number): string => n.toFixed(1);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="17" font-weight="bold">${escapeXml(labels.title)}</text>`,
    `<text x="${MARGIN.left}" y="44" fill="#444444">Vehicle speed, driving context (bands) and each personality switch (lines), ${escapeXml(labels.backend)}</text>`,
  );

  // Context bands: the first change's `from` holds from the start.
  const bands: Array<{ from: number; to: number; context: string }> = [];
  let current = trace.contexts[0]?.from ?? 'unknown';
  let since = 0;
  for (const change of trace.contexts) {
    bands.push({ from: since, to: change.s, context: current });
    current = change.to;
    since = change.s;
  }
  bands.push({ from: since, to: endS, context: current });
  for (const band of bands.filter((b) => b.to > b.from)) {
    out.push(`<rect x="${fmt(x(band.from))}" y="${MARGIN.top}" width="${fmt(x(band.to) - x(band.from))}" height="${plotH}" fill="${CONTEXT_COLOURS[band.context] ?? FALLBACK_COLOUR}"/>`);
    if (x(band.to) - x(band.from) > 50) out.push(`<text x="${fmt((x(band.from) + x(band.to)) / 2)}" y="${MARGIN.top + plotH - 8}" text-anchor="middle" fill="#555555" font-style="italic">${escapeXml(band.context)}</text>`);
  }

  // Grid and axes.
  for (let kmh = 0; kmh <= yMax + 1e-9; kmh += yStep) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y(kmh))}" y2="${fmt(y(kmh))}" stroke="#ffffff" stroke-opacity="0.8"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${fmt(y(kmh) + 4)}" text-anchor="end">${kmh}</text>`);
  }
  const xStep = tickStep(endS, 12);
  for (let s = 0; s <= endS + 1e-9; s += xStep) {
    out.push(`<line x1="${fmt(x(s))}" x2="${fmt(x(s))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#000000"/>`);
    out.push(`<text x="${fmt(x(s))}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${s}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#000000"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 42}" text-anchor="middle">time since the first frame (s)</text>`);
  out.push(`<text transform="translate(20 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">vehicle speed (km/h)</text>`);

  // Speed: one polyline per stretch where it is known.
  let stretch: string[] = [];
  const flush = (): void => {
    if (stretch.length > 1) out.push(`<polyline points="${stretch.join(' ')}" fill="none" stroke="#08306b" stroke-width="2"/>`);
    stretch = [];
  };
  for (const p of trace.speed) {
    if (p.kmh === null) flush();
    else stretch.push(`${fmt(x(p.s))},${fmt(y(p.kmh))}`);
  }
  flush();

  // Switches: a line through the plot and a label above it, in rows so neighbours do not overlap.
  trace.switches.forEach((sw, i) => {
    const row = i % LABEL_ROWS;
    const labelY = MARGIN.top - 12 - row * 18;
    out.push(`<line x1="${fmt(x(sw.s))}" x2="${fmt(x(sw.s))}" y1="${labelY + 4}" y2="${MARGIN.top + plotH}" stroke="#a50f15" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    out.push(`<circle cx="${fmt(x(sw.s))}" cy="${labelY + 4}" r="3" fill="#a50f15"/>`);
    const label = sw.personality + reasonSuffix(sw.trigger);
    // Near the right edge the label goes to the left of its line, so it is not cut off.
    const leftward = x(sw.s) + 5 + label.length * LABEL_CHAR_PX > WIDTH;
    out.push(`<text x="${fmt(leftward ? x(sw.s) - 5 : x(sw.s) + 5)}" y="${labelY}" text-anchor="${leftward ? 'end' : 'start'}" fill="#a50f15" font-weight="bold"><title>${escapeXml(sw.trigger)}</title>${escapeXml(label)}</text>`);
  });

  // Legend.
  const legendY = HEIGHT - 22;
  let legendX = MARGIN.left;
  out.push(`<text x="${legendX}" y="${legendY + 4}">context:</text>`);
  legendX += 62;
  for (const context of Object.keys(CONTEXT_COLOURS)) {
    out.push(`<rect x="${legendX}" y="${legendY - 8}" width="16" height="14" fill="${CONTEXT_COLOURS[context]}" stroke="#999999"/>`);
    out.push(`<text x="${legendX + 22}" y="${legendY + 4}">${context}</text>`);
    legendX += 100;
  }
  out.push(`<line x1="${legendX + 10}" x2="${legendX + 40}" y1="${legendY}" y2="${legendY}" stroke="#08306b" stroke-width="2"/>`);
  out.push(`<text x="${legendX + 46}" y="${legendY + 4}">speed</text>`);
  legendX += 110;
  out.push(`<line x1="${legendX}" x2="${legendX}" y1="${legendY - 9}" y2="${legendY + 7}" stroke="#a50f15" stroke-width="1.5" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${legendX + 8}" y="${legendY + 4}">personality applied (switch)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
