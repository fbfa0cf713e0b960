import type { BenchReport } from '../results.ts';
import { millis, ratio } from './format.ts';

const COLORS: Readonly<Record<string, string>> = {
  rapsqlite: '#1f6fd1',
  'rapsqlite-pool': '#10a5b8',
  'rapsqlite-observed': '#7c5cc4',
  'rapsqlite-pool-1': '#5fc9d6',
  'better-sqlite3': '#7a7a7a',
  sqlite3: '#e8740c',
  libsql: '#2f9e44',
  'node-sqlite': '#8b5cc4',
};
const FALLBACK_COLORS = ['#c2255c', '#5c940d', '#364fc7', '#d9480f'];

const WIDTH = 960;
const LEFT = 150;
const RIGHT = 90;
const BAR = 11;
const BAR_GAP = 2;
const GROUP_GAP = 14;

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function colorOf(id: string, index: number): string {
  return COLORS[id] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length] ?? '#444';
}

/** A log-scale axis between two powers of ten covering `values` and the given bounds. */
function logAxis(values: readonly number[], minimum: number, maximum: number): { lo: number; hi: number; ticks: number[] } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(minimum, ...positive)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(maximum, ...positive)));
  const ticks: number[] = [];
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    ticks.push(decade);
    if (decade * 3 < hi) ticks.push(decade * 3);
  }
  return { lo, hi, ticks };
}

function tickLabel(value: number, suffix: string): string {
  const text = value >= 1 ? String(Math.round(value)) : String(Number(value.toPrecision(1)));
  return `${text}${suffix}`;
}

/**
 * Draws the chart: throughput of every driver relative to the baseline per workload (log scale, bars grow from the
 * baseline line), and the longest event-loop stall per driver during the long query. No dependency: plain SVG.
 */
export function renderChart(report: BenchReport): string {
  const drivers = report.drivers.filter((d) => d.available);
  const plotted = drivers.filter((d) => d.id !== report.baseline);
  const baselineLabel = drivers.find((d) => d.id === report.baseline)?.label ?? report.baseline;
  const workloads = report.workloads.filter((w) => w.id !== 'long-query');
  const ratios = workloads.flatMap((w) => w.results.map((r) => r.vsBaseline ?? Number.NaN));
  const axis = logAxis(ratios, 0.1, 2);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (v: number): number => LEFT + ((Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo))) * plotWidth;
  const out: string[] = [];
  let y = 20;
  const m = report.machine;
  out.push(
    `<text x="${LEFT}" y="${y}" class="title">rapsqlite benchmark (${report.config.mode} run, ${escapeXml(report.startedAt.slice(0, 10))})</text>`,
  );
  y += 16;
  out.push(
    `<text x="${LEFT}" y="${y}" class="note">${escapeXml(`${m.cpu}, ${m.cores} cores, ${m.os}, Node ${m.node}`)}</text>`,
  );
  y += 26;
  out.push(
    `<text x="${LEFT}" y="${y}" class="heading">Throughput relative to ${escapeXml(baselineLabel)} (log scale; right of the line is faster)</text>`,
  );
  y += 12;
  const legendY = y;
  let legendX = LEFT;
  plotted.forEach((d, i) => {
    out.push(`<rect x="${legendX}" y="${legendY}" width="10" height="10" fill="${colorOf(d.id, i)}"/>`);
    out.push(`<text x="${legendX + 14}" y="${legendY + 9}" class="small">${escapeXml(d.label)}</text>`);
    legendX += 24 + d.label.length * 6.5;
  });
  y += 24;
  const plotTop = y;
  for (const workload of workloads) {
    const groupTop = y;
    plotted.forEach((d, i) => {
      const result = workload.results.find((r) => r.driver === d.id);
      const value = result?.vsBaseline;
      if (value !== undefined && value > 0) {
        const x0 = x(1);
        const x1 = x(Math.min(Math.max(value, axis.lo), axis.hi));
        out.push(
          `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${BAR}" fill="${colorOf(d.id, i)}"><title>${escapeXml(`${d.label}: ${ratio(value)}`)}</title></rect>`,
        );
        out.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + 9}" class="small">${ratio(value)}</text>`);
      } else {
        const why = result === undefined ? 'not run' : result.status === 'ok' ? '–' : result.status;
        out.push(`<text x="${(x(1) + 4).toFixed(1)}" y="${y + 9}" class="small muted">${escapeXml(why)}</text>`);
      }
      y += BAR + BAR_GAP;
    });
    out.push(`<text x="${LEFT - 8}" y="${((groupTop + y) / 2 + 4).toFixed(1)}" class="label" text-anchor="end">${escapeXml(workload.id)}</text>`);
    y += GROUP_GAP;
  }
  const plotBottom = y - GROUP_GAP + 4;
  const grid: string[] = [];
  for (const tick of axis.ticks) {
    const tx = x(tick).toFixed(1);
    grid.push(`<line x1="${tx}" y1="${plotTop - 4}" x2="${tx}" y2="${plotBottom}" class="${tick === 1 ? 'base' : 'grid'}"/>`);
    grid.push(`<text x="${tx}" y="${plotBottom + 14}" class="small" text-anchor="middle">${tickLabel(tick, '×')}</text>`);
  }
  y = plotBottom + 44;

  const long = report.workloads.find((w) => w.id === 'long-query');
  const stalls = drivers.map((d) => {
    if (long !== undefined) return long.results.find((r) => r.driver === d.id)?.loop?.maxGapMs;
    const gaps = report.workloads.flatMap((w) => w.results.filter((r) => r.driver === d.id).map((r) => r.loop?.maxGapMs ?? 0));
    return gaps.length > 0 ? Math.max(...gaps) : undefined;
  });
  const busy = drivers.map((d) => long?.results.find((r) => r.driver === d.id)?.loop?.maxBusyGapMs);
  const stallAxis = logAxis(stalls.map((s) => s ?? Number.NaN), 1, 1000);
  const sx = (v: number): number =>
    LEFT + ((Math.log10(v) - Math.log10(stallAxis.lo)) / (Math.log10(stallAxis.hi) - Math.log10(stallAxis.lo))) * plotWidth;
  const stallTitle =
    long === undefined
      ? 'Longest event-loop stall in any workload (max timer gap, ms, log scale)'
      : `Longest event-loop stall while a query of ~${report.config.longQueryMs} ms of CPU runs (max timer gap, ms, log scale)`;
  out.push(`<text x="${LEFT}" y="${y}" class="heading">${escapeXml(stallTitle)}</text>`);
  y += 16;
  const stallTop = y;
  drivers.forEach((d, i) => {
    const stall = stalls[i];
    out.push(`<text x="${LEFT - 8}" y="${y + 10}" class="label" text-anchor="end">${escapeXml(d.label)}</text>`);
    if (stall !== undefined && stall > 0) {
      const width = Math.max(1, sx(Math.min(Math.max(stall, stallAxis.lo), stallAxis.hi)) - LEFT);
      out.push(
        `<rect x="${LEFT}" y="${y}" width="${width.toFixed(1)}" height="${BAR + 2}" fill="${colorOf(d.id, plotted.indexOf(d))}"/>`,
      );
      const busyMs = busy[i];
      // The main thread's own CPU time during that gap: what the driver caused, as opposed to the OS's scheduling.
      if (busyMs !== undefined && busyMs > stallAxis.lo) {
        const inner = Math.max(1, sx(Math.min(busyMs, stallAxis.hi)) - LEFT);
        out.push(`<rect x="${LEFT}" y="${y + BAR / 2}" width="${inner.toFixed(1)}" height="3" fill="#111"/>`);
      }
      const label = busyMs === undefined ? millis(stall) : `${millis(stall)} (main thread busy ${millis(busyMs)})`;
      out.push(`<text x="${(LEFT + width + 4).toFixed(1)}" y="${y + 10}" class="small">${escapeXml(label)}</text>`);
    } else {
      out.push(`<text x="${LEFT + 4}" y="${y + 10}" class="small muted">not run</text>`);
    }
    y += BAR + 2 + BAR_GAP + 2;
  });
  const stallBottom = y;
  for (const tick of stallAxis.ticks) {
    const tx = sx(tick).toFixed(1);
    grid.push(`<line x1="${tx}" y1="${stallTop - 4}" x2="${tx}" y2="${stallBottom}" class="grid"/>`);
    grid.push(`<text x="${tx}" y="${stallBottom + 14}" class="small" text-anchor="middle">${tickLabel(tick, '')}</text>`);
  }
  if (5 > stallAxis.lo && 5 < stallAxis.hi) {
    const tx = sx(5).toFixed(1);
    grid.push(`<line x1="${tx}" y1="${stallTop - 8}" x2="${tx}" y2="${stallBottom}" class="target"/>`);
    grid.push(`<text x="${(sx(5) + 4).toFixed(1)}" y="${stallTop - 2}" class="small target-text">target ≤ 5 ms</text>`);
  }
  y = stallBottom + 34;
  out.push(
    `<text x="${LEFT}" y="${y}" class="note">Drivers that block show a stall as long as their longest synchronous stretch; the black line is the main thread's own CPU time in it.</text>`,
  );
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    '<style>',
    '.title{font-size:16px;font-weight:600;fill:#111}.heading{font-size:13px;font-weight:600;fill:#222}',
    '.label{font-size:12px;fill:#222}.small{font-size:10px;fill:#333}.muted{fill:#999}.note{font-size:11px;fill:#555}',
    '.grid{stroke:#ddd;stroke-width:1}.base{stroke:#333;stroke-width:1.5}.target{stroke:#d00;stroke-width:1.5;stroke-dasharray:4 3}',
    '.target-text{fill:#d00}',
    '</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...grid,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
