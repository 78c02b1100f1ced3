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

const WIDTH = 720;
const MARGIN = 12;
const BAR_H = 16;
const BAR_GAP = 4;
const LABEL_H = 20;
const GROUP_GAP = 14;
const VALUE_SPACE = 170;
const LEGEND_H = 28;

export function renderBarChart(opts: { id: string; title: string; desc: string; series: readonly BarSeries[]; groups: readonly BarGroup[]; format: (n: number) => string; missing: string }): string {
  const max = Math.max(1, ...opts.groups.flatMap((g) => g.values.filter((v): v is number => v !== null)));
  const barArea = WIDTH - 2 * MARGIN - VALUE_SPACE;
  const groupH = LABEL_H + opts.series.length * (BAR_H + BAR_GAP) + GROUP_GAP;
  const height = MARGIN + LEGEND_H + opts.groups.length * groupH + MARGIN;
  const parts: string[] = [];
  let x = MARGIN;
  for (const s of opts.series) {
    parts.push(`<rect x="${x}" y="${MARGIN}" width="14" height="14" fill="${s.colour}"/><text x="${x + 20}" y="${MARGIN + 12}">${escapeHtml(s.name)}</text>`);
    x += 40 + s.name.length * 8;
  }
  opts.groups.forEach((g, gi) => {
    const top = MARGIN + LEGEND_H + gi * groupH;
    parts.push(`<text class="group" x="${MARGIN}" y="${top + 14}">${escapeHtml(g.label)}</text>`);
    opts.series.forEach((s, si) => {
      const v = g.values[si] ?? null;
      const y = top + LABEL_H + si * (BAR_H + BAR_GAP);
      const w = v === null ? 0 : Math.max(v > 0 ? 1 : 0, Math.round((v / max) * barArea));
      const text = `${s.name}: ${v === null ? opts.missing : opts.format(v)}`;
      parts.push(`<g><title>${escapeHtml(`${g.label} — ${text}`)}</title><rect x="${MARGIN}" y="${y}" width="${w}" height="${BAR_H}" fill="${s.colour}"/>`
        + `<text x="${MARGIN + w + 6}" y="${y + BAR_H - 4}">${escapeHtml(v === null ? opts.missing : opts.format(v))}</text></g>`);
    });
  });
  return `<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${opts.id}-title ${opts.id}-desc" font-size="13" fill="#1a1a1a">`
    + `<title id="${opts.id}-title">${escapeHtml(opts.title)}</title><desc id="${opts.id}-desc">${escapeHtml(opts.desc)}</desc>`
    + parts.join('')
    + '</svg>';
}
