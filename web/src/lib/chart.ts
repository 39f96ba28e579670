// The item page's rank / heat chart, drawn by uPlot. This module (and uPlot with it) is only
// ever loaded with import() from ItemView, so it is a chunk of its own, outside the first load.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Point } from './history';

export interface ChartText {
  rank: string;
  hot: string;
  time: string;
  /** heat as 万 / 亿 (Chinese) or k / M */
  zh: boolean;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * Data columns: time (s), rank (null while off the board: a gap), heat. When the item is
 * still on the board its last rank is carried on to `until` so the line reaches "now".
 */
export function columns(points: readonly Point[], until?: number): [number[], (number | null)[], (number | null)[]] {
  const xs: number[] = [];
  const ranks: (number | null)[] = [];
  const hots: (number | null)[] = [];
  for (const p of points) {
    const at = Date.parse(p.at);
    if (Number.isNaN(at)) continue;
    const x = at / 1000;
    if (xs.length && x <= xs[xs.length - 1]) continue;
    xs.push(x);
    ranks.push(p.rank > 0 ? p.rank : null);
    hots.push(p.rank > 0 && typeof p.hot === 'number' ? p.hot : null);
  }
  const lastRank = ranks[ranks.length - 1];
  if (until !== undefined && xs.length && lastRank != null && until > xs[xs.length - 1]) {
    xs.push(until);
    ranks.push(lastRank);
    hots.push(hots[hots.length - 1]);
  }
  return [xs, ranks, hots];
}

export interface RankChart {
  destroy(): void;
  resize(width: number): void;
}

/** Draws the chart into `el`, in the page's current theme colours. */
export function drawChart(el: HTMLElement, points: readonly Point[], text: ChartText, until?: number): RankChart {
  const data = columns(points, until);
  const hasHot = data[2].some((v) => v !== null);
  const axisColor = cssVar('--muted', '#57606a');
  const grid = cssVar('--line', '#e3e6ea');
  const rankColor = cssVar('--accent', '#0a5dc2');
  const hotColor = cssVar('--lb-hot', '#b4470a');
  const maxRank = Math.max(1, ...data[1].map((v) => v ?? 1));
  const axis = { stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const opts: uPlot.Options = {
    width: Math.max(240, el.clientWidth),
    height: 260,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      // rank 1 at the top
      rank: { dir: -1, range: () => [1, Math.max(maxRank + 1, 5)] },
      hot: { range: (_u, min, max) => [0, Math.max(max, 1) * 1.05 + (min < 0 ? -min : 0)] },
    },
    axes: [
      { ...axis },
      { ...axis, scale: 'rank', label: text.rank, values: (_u, ticks) => ticks.map((v) => (Number.isInteger(v) ? `#${v}` : '')) },
      ...(hasHot
        ? [{ ...axis, scale: 'hot', side: 1 as const, label: text.hot, grid: { show: false }, values: (_u: uPlot, ticks: number[]) => ticks.map((v) => compact(v, text.zh)) }]
        : []),
    ],
    series: [
      { label: text.time, value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleString()) },
      { label: text.rank, scale: 'rank', stroke: rankColor, width: 2, paths: uPlot.paths.stepped?.({ align: 1 }), points: { show: false }, value: (_u, v) => (v == null ? '—' : `#${v}`) },
      ...(hasHot
        ? [{ label: text.hot, scale: 'hot', stroke: hotColor, width: 1.5, points: { show: false }, value: (_u: uPlot, v: number | null) => (v == null ? '—' : compact(v, text.zh)) }]
        : []),
    ],
  };
  const plot = new uPlot(opts, (hasHot ? data : [data[0], data[1]]) as uPlot.AlignedData, el);
  return {
    destroy: () => plot.destroy(),
    resize: (width: number) => plot.setSize({ width: Math.max(240, width), height: 260 }),
  };
}

function compact(v: number, zh: boolean): string {
  const a = Math.abs(v);
  if (zh) {
    if (a >= 1e8) return `${+(v / 1e8).toFixed(1)}亿`;
    if (a >= 1e4) return `${+(v / 1e4).toFixed(1)}万`;
  } else {
    if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}B`;
    if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
    if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  }
  return String(Math.round(v));
}
