import { formatParameter } from '../manifests/personality.js';
import { METRIC_LABELS, type MetricName } from './pvnic-metrics.js';
import type { PointSummary } from './point-summary.js';

export interface TradeOffPlotInput {
  readonly title: string;
  readonly subtitle: string;
  readonly axes: readonly [MetricName, MetricName];
  readonly points: readonly PointSummary[];
  readonly front: readonly PointSummary[];
  /** Generated manifests by name, at their points. */
  readonly chosen: ReadonlyArray<{ readonly name: string; readonly point: PointSummary }>;
}

const WIDTH = 880;
const HEIGHT = 600;
const PLOT = { left: 90, right: 200, top: 70, bottom: 70 };
const COLOURS = { point: '#2563eb', lossy: '#ea580c', front: '#dc2626', chosen: '#111827', grid: '#e5e7eb', text: '#111827', muted: '#6b7280' };

/**
 * The trade-off as a standalone SVG: each point's median with whiskers from its lowest to its
 * highest sample on both axes, points that dropped packets hollow, the Pareto front as a line,
 * and the generated personalities named at their points. Written by hand: a scatter plot needs
 * no plotting library.
 */
export function tradeOffSvg(input: TradeOffPlotInput): string {
  const [xm, ym] = input.axes;
  const measured = input.points.filter((p) => p.samples > 0);
  const xs = scale(measured.flatMap((p) => [p.metrics[xm].min, p.metrics[xm].max]), PLOT.left, WIDTH - PLOT.right);
  const ys = scale(measured.flatMap((p) => [p.metrics[ym].min, p.metrics[ym].max]), HEIGHT - PLOT.bottom, PLOT.top);
  const parts: string[] = [];
  const text = (x: number, y: number, body: string, attrs = ''): number => parts.push(`<text x="${f(x)}" y="${f(y)}" ${attrs}>${escape(body)}</text>`);

  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  text(WIDTH / 2, 28, input.title, `text-anchor="middle" font-size="18" font-weight="bold" fill="${COLOURS.text}"`);
  text(WIDTH / 2, 50, input.subtitle, `text-anchor="middle" font-size="12" fill="${COLOURS.muted}"`);
  for (const tick of xs.ticks) {
    const x = xs.at(tick);
    parts.push(`<line x1="${f(x)}" y1="${PLOT.top}" x2="${f(x)}" y2="${HEIGHT - PLOT.bottom}" stroke="${COLOURS.grid}"/>`);
    text(x, HEIGHT - PLOT.bottom + 18, label(tick), `text-anchor="middle" font-size="12" fill="${COLOURS.text}"`);
  }
  for (const tick of ys.ticks) {
    const y = ys.at(tick);
    parts.push(`<line x1="${PLOT.left}" y1="${f(y)}" x2="${WIDTH - PLOT.right}" y2="${f(y)}" stroke="${COLOURS.grid}"/>`);
    text(PLOT.left - 8, y + 4, label(tick), `text-anchor="end" font-size="12" fill="${COLOURS.text}"`);
  }
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${WIDTH - PLOT.left - PLOT.right}" height="${HEIGHT - PLOT.top - PLOT.bottom}" fill="none" stroke="${COLOURS.muted}"/>`);
  text((PLOT.left + WIDTH - PLOT.right) / 2, HEIGHT - 24, METRIC_LABELS[xm], `text-anchor="middle" font-size="14" fill="${COLOURS.text}"`);
  text(22, (PLOT.top + HEIGHT - PLOT.bottom) / 2, METRIC_LABELS[ym], `text-anchor="middle" font-size="14" fill="${COLOURS.text}" transform="rotate(-90 22 ${f((PLOT.top + HEIGHT - PLOT.bottom) / 2)})"`);

  for (const p of measured) {
    const [x, y] = [xs.at(p.metrics[xm].median), ys.at(p.metrics[ym].median)];
    const colour = p.lossless ? COLOURS.point : COLOURS.lossy;
    parts.push(`<line x1="${f(xs.at(p.metrics[xm].min))}" y1="${f(y)}" x2="${f(xs.at(p.metrics[xm].max))}" y2="${f(y)}" stroke="${colour}" stroke-opacity="0.5"/>`);
    parts.push(`<line x1="${f(x)}" y1="${f(ys.at(p.metrics[ym].min))}" x2="${f(x)}" y2="${f(ys.at(p.metrics[ym].max))}" stroke="${colour}" stroke-opacity="0.5"/>`);
    const fill = p.lossless ? colour : '#ffffff';
    parts.push(`<circle cx="${f(x)}" cy="${f(y)}" r="5" fill="${fill}" stroke="${colour}" stroke-width="1.5"><title>${escape(pointLabel(p))}</title></circle>`);
  }
  if (input.front.length > 0) {
    const path = input.front.map((p) => `${f(xs.at(p.metrics[xm].median))},${f(ys.at(p.metrics[ym].median))}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${COLOURS.front}" stroke-width="2" stroke-dasharray="6 4"/>`);
    for (const p of input.front) parts.push(`<circle cx="${f(xs.at(p.metrics[xm].median))}" cy="${f(ys.at(p.metrics[ym].median))}" r="5" fill="${COLOURS.front}"/>`);
  }
  // Names first, so that they always show; a front point's values only where they fit (every
  // point's values are in its tooltip).
  const labels = new LabelPlacer();
  for (const c of input.chosen) {
    const [x, y] = [xs.at(c.point.metrics[xm].median), ys.at(c.point.metrics[ym].median)];
    parts.push(`<circle cx="${f(x)}" cy="${f(y)}" r="10" fill="none" stroke="${COLOURS.chosen}" stroke-width="2"/>`);
    const at = labels.place(x, y, c.name, 13, true);
    if (at) text(at.x, at.y, c.name, `font-size="13" font-weight="bold" fill="${COLOURS.chosen}"`);
  }
  for (const p of input.front) {
    const [x, y] = [xs.at(p.metrics[xm].median), ys.at(p.metrics[ym].median)];
    const at = labels.place(x, y, sweptLabel(p), 10, false);
    if (at) text(at.x, at.y, sweptLabel(p), `font-size="10" fill="${COLOURS.front}"`);
  }

  const legend = WIDTH - PLOT.right + 16;
  const rows: Array<[string, string]> = [
    [`<circle cx="${legend + 6}" cy="0" r="5" fill="${COLOURS.point}"/>`, 'loss-free point'],
    [`<circle cx="${legend + 6}" cy="0" r="5" fill="#ffffff" stroke="${COLOURS.lossy}" stroke-width="1.5"/>`, 'drops packets'],
    [`<line x1="${legend}" y1="0" x2="${legend + 14}" y2="0" stroke="${COLOURS.front}" stroke-width="2" stroke-dasharray="6 4"/>`, 'Pareto front'],
    [`<circle cx="${legend + 6}" cy="0" r="8" fill="none" stroke="${COLOURS.chosen}" stroke-width="2"/>`, 'generated manifest'],
    [`<line x1="${legend}" y1="0" x2="${legend + 14}" y2="0" stroke="${COLOURS.point}" stroke-opacity="0.5"/>`, 'min–max of samples'],
  ];
  for (const [i, [mark, name]] of rows.entries()) {
    const y = PLOT.top + 10 + i * 22;
    parts.push(`<g transform="translate(0 ${y})">${mark}</g>`);
    text(legend + 22, y + 4, name, `font-size="12" fill="${COLOURS.text}"`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}

/** Puts labels beside their points where they overlap no label placed before (text baseline coordinates). */
class LabelPlacer {
  private readonly boxes: Array<{ x0: number; y0: number; x1: number; y1: number }> = [];

  /** Where the label goes, or undefined when every spot is taken and `always` is false. */
  place(x: number, y: number, label: string, size: number, always: boolean): { x: number; y: number } | undefined {
    const width = label.length * size * 0.6;
    const spots = [
      [x + 12, y - 8],
      [x + 12, y + size + 6],
      [x - 12 - width, y - 8],
      [x - 12 - width, y + size + 6],
      [x + 12, y - 8 - size - 2],
      [x + 12, y + 2 * size + 8],
    ] as const;
    const box = ([bx, by]: readonly [number, number]) => ({ x0: bx, y0: by - size, x1: bx + width, y1: by + 2 });
    const free = spots.find((spot) => {
      const b = box(spot);
      const inside = b.x0 >= PLOT.left && b.x1 <= WIDTH - PLOT.right + 60 && b.y0 >= PLOT.top && b.y1 <= HEIGHT - PLOT.bottom;
      return inside && this.boxes.every((o) => b.x1 < o.x0 || b.x0 > o.x1 || b.y1 < o.y0 || b.y0 > o.y1);
    });
    const chosen = free ?? (always ? spots[0] : undefined);
    if (!chosen) return undefined;
    this.boxes.push(box(chosen));
    return { x: chosen[0], y: chosen[1] };
  }
}

interface Scale {
  at(value: number): number;
  readonly ticks: readonly number[];
}

/** A linear scale over nice ticks that cover the values, from pixel `from` to pixel `to`. */
function scale(values: readonly number[], from: number, to: number): Scale {
  const finite = values.filter(Number.isFinite);
  let [lo, hi] = [Math.min(0, ...finite), Math.max(...finite, 0)];
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / 6;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { at: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks };
}

function label(value: number): string {
  return Math.abs(value) >= 10_000 ? `${value / 1000}k` : String(value);
}

function sweptLabel(p: PointSummary): string {
  return Object.entries(p.swept).map(([name, value]) => formatParameter(name, value)).join(' ');
}

function pointLabel(p: PointSummary): string {
  const swept = Object.entries(p.swept).map(([name, value]) => `${name} ${formatParameter(name, value)}`).join(', ');
  return `${swept}: ${Object.entries(p.metrics).map(([m, s]) => `${m} ${s.median.toFixed(1)}`).join(', ')}`;
}

function f(n: number): string {
  return Number.isFinite(n) ? n.toFixed(1) : '0';
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
