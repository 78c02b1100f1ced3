import { escapeHtml } from './html';

/**
 * A grouped horizontal bar chart as SVG, drawn on the server: one group per label (an OPD), one
 * bar per series, each bar's value printed beside it. Horizontal, so long OPD names fit a phone.
 * The caller shows the same numbers in a table; the SVG carries a title and a description.
 */
export interface BarSeries {
  name: string;
  /** A fill with at least 3:1 contrast on white (WCAG non-text contrast). */
  colour: string;
}

export interface BarGroup {
  label: string;
  /** One value per series, in series order; null draws no bar and prints `missing`. */
  values: ReadonlyArray<number | null>;
}

const WIDTH = 480;
const MARGIN = 12;
const TEXT_H = 16;
const BAR_H = 12;
const ROW_GAP = 6;
const LABEL_H = 22;
const GROUP_GAP = 16;
const LEGEND_H = 28;

export function renderBarChart(opts: { id: string; title: string; desc: string; series: readonly BarSeries[]; groups: readonly BarGroup[]; format: (n: number) => string; missing: string }): string {
  const max = Math.max(1, ...opts.groups.flatMap((g) => g.values.filter((v): v is number => v !== null)));
  const barArea = WIDTH - 2 * MARGIN;
  const rowH = TEXT_H + BAR_H + ROW_GAP;
  const groupH = LABEL_H + opts.series.length * rowH + GROUP_GAP;
  const height = MARGIN + LEGEND_H + opts.groups.length * groupH;
  const parts: string[] = [];
  let x = MARGIN;
  for (const s of opts.series) {
    parts.push(`<rect x="${x}" y="${MARGIN}" width="14" height="14" fill="${s.colour}"/><text x="${x + 20}" y="${MARGIN + 12}">${escapeHtml(s.name)}</text>`);
    x += 40 + s.name.length * 8;
  }
  // Each bar has its series and value written above it, so the chart reads without the legend's colours.
  opts.groups.forEach((g, gi) => {
    const top = MARGIN + LEGEND_H + gi * groupH;
    parts.push(`<text class="group" x="${MARGIN}" y="${top + 15}">${escapeHtml(g.label)}</text>`);
    opts.series.forEach((s, si) => {
      const v = g.values[si] ?? null;
      const y = top + LABEL_H + si * rowH;
      const w = v === null ? 0 : Math.max(v > 0 ? 2 : 0, Math.round((v / max) * barArea));
      const text = `${s.name}: ${v === null ? opts.missing : opts.format(v)}`;
      parts.push(`<g><text x="${MARGIN}" y="${y + TEXT_H - 4}">${escapeHtml(text)}</text>`
        + `<rect x="${MARGIN}" y="${y + TEXT_H}" width="${w}" height="${BAR_H}" fill="${s.colour}"/>`
        + `<rect x="${MARGIN}" y="${y + TEXT_H}" width="${barArea}" height="${BAR_H}" fill="none" stroke="#8a94a0" stroke-width="0.5"/></g>`);
    });
  });
  return `<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${opts.id}-title ${opts.id}-desc" font-size="13" fill="#1a1a1a">`
    + `<title id="${opts.id}-title">${escapeHtml(opts.title)}</title><desc id="${opts.id}-desc">${escapeHtml(opts.desc)}</desc>`
    + parts.join('')
    + '</svg>';
}
