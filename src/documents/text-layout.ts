import { fontName, type Face, type Weight } from './fonts';
import { encode, widthOf, type EmbeddedFont, type GlyphPosition } from './shaping';
import { isPlainText, mirrored, paragraph, shaperReverses, visualRuns, type Paragraph, type VisualRun } from './text-runs';

/**
 * Text on a document, in any script the document fonts cover. Plain Latin text goes through
 * PDFKit's own layout; text with Arabic or Javanese script, or right-to-left text, is laid out
 * here: wrapped in logical order, each line reordered (bidi), each piece set in its script's font
 * and shaped, and each Arabic, Javanese or right-to-left piece wrapped in a marked-content span
 * whose /ActualText gives its characters, so that text extraction (pdftotext, copy and paste)
 * returns what was written, not the reordered glyphs.
 */

type Doc = PDFKit.PDFDocument;

export interface TextOptions {
  width?: number;
  /** `left` is the start of a line: right-to-left paragraphs then align right. */
  align?: 'left' | 'center' | 'right';
  underline?: boolean;
  /** Lines beyond this height are not printed; with `ellipsis` the last printed line ends in "…". */
  height?: number;
  ellipsis?: boolean;
  /** false: one line, no wrapping, no page break. */
  lineBreak?: boolean;
}

interface DocInternals {
  _font: EmbeddedFont;
  _fontSize: number;
  page: { fonts: Record<string, unknown>; height: number; width: number; margins: { top: number; right: number }; maxY(): number };
  addContent(data: string): unknown;
}
const inner = (doc: Doc) => doc as unknown as DocInternals;

const num = (v: number) => String(Math.round(v * 1000) / 1000);
const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

interface Line {
  p: Paragraph;
  start: number;
  end: number;
}

interface Shaped {
  run: VisualRun;
  face: Face;
  encoded: string[];
  positions: GlyphPosition[];
  width: number;
  /** In the order the glyphs are drawn (extractors apply the bidi algorithm to page text themselves). */
  actual?: string;
}

function useFace(doc: Doc, face: Face, weight: Weight, size: number): EmbeddedFont {
  doc.font(fontName(face, weight)).fontSize(size);
  return inner(doc)._font;
}

function shape(doc: Doc, run: VisualRun, weight: Weight, size: number): Shaped {
  const font = useFace(doc, run.face, weight, size);
  let text = run.rtl ? mirrored(run.text) : run.text;
  // The shaper picks its direction from the text's script: where that is not the run's (neutral
  // characters alone in a right-to-left run, Arabic-Indic digits in a left-to-right one), the
  // characters are put in drawing order here. Neither kind joins, so nothing is lost for shaping.
  if (run.rtl !== shaperReverses(text)) text = [...text].reverse().join('');
  const [encoded, positions] = encode(font, text);
  const width = positions.reduce((w, p) => w + p.xAdvance, 0) * size / 1000;
  const complex = run.rtl || run.face !== 'sans';
  return { run, face: run.face, encoded, positions, width, actual: complex ? (run.rtl ? [...run.text].reverse().join('') : run.text) : undefined };
}

/** Width of a logical slice, measured per font (close enough to break lines; lines are drawn from exact shapes). */
function measure(doc: Doc, p: Paragraph, start: number, end: number, weight: Weight, size: number): number {
  let width = 0;
  let from = start;
  for (let i = start + 1; i <= end; i++) {
    if (i === end || p.faces[i] !== p.faces[from]) {
      width += widthOf(useFace(doc, p.faces[from]!, weight, size), p.text.slice(from, i), size);
      from = i;
    }
  }
  return width;
}

const trimEnd = (p: Paragraph, start: number, end: number) => {
  while (end > start && (p.text[end - 1] === ' ')) end--;
  return end;
};

/** Breaks text into lines at spaces, and a word longer than a line between its graphemes. */
function wrap(doc: Doc, text: string, width: number, weight: Weight, size: number): Line[] {
  const lines: Line[] = [];
  for (const para of text.replace(/\t/g, ' ').split(/\r\n|\r|\n/)) {
    const p = paragraph(para);
    let start = 0;
    let used = 0;
    const words = [...para.matchAll(/[^ ]*[ ]*/g)].filter((m) => m[0].length > 0);
    if (words.length === 0) lines.push({ p, start: 0, end: 0 });
    for (const m of words) {
      const from = m.index!;
      const to = from + m[0].length;
      const ink = measure(doc, p, from, trimEnd(p, from, to), weight, size);
      if (from > start && used + ink > width) {
        lines.push({ p, start, end: from });
        start = from;
        used = 0;
      }
      if (from === start && ink > width) {
        // One word wider than the line: as many graphemes per line as fit.
        let at = from;
        for (const g of graphemes.segment(para.slice(from, to))) {
          const gFrom = from + g.index;
          const gTo = gFrom + g.segment.length;
          if (gFrom > at && measure(doc, p, at, trimEnd(p, at, gTo), weight, size) > width) {
            lines.push({ p, start: at, end: gFrom });
            at = gFrom;
          }
        }
        start = at;
        used = measure(doc, p, at, to, weight, size);
        continue;
      }
      used += measure(doc, p, from, to, weight, size);
    }
    if (words.length > 0) lines.push({ p, start, end: para.length });
  }
  return lines;
}

/** The last printed line of a cut text: its words and an ellipsis, shortened until they fit. */
function ellipsisLine(doc: Doc, line: Line, width: number, weight: Weight, size: number): Line {
  const parts = [...graphemes.segment(line.p.text.slice(line.start, line.end).trimEnd())].map((g) => g.segment);
  for (;;) {
    const p = paragraph(`${parts.join('').trimEnd()}…`);
    if (parts.length === 0 || measure(doc, p, 0, p.text.length, weight, size) <= width) return { p, start: 0, end: p.text.length };
    parts.pop();
  }
}

function lineMetrics(doc: Doc, faces: Iterable<Face>, weight: Weight, size: number): { ascent: number; height: number } {
  let ascent = 0;
  let descent = 0;
  for (const face of new Set<Face>(['sans', ...faces])) {
    const font = useFace(doc, face, weight, size);
    ascent = Math.max(ascent, font.ascender * size / 1000);
    descent = Math.max(descent, -font.descender * size / 1000);
  }
  return { ascent, height: ascent + descent };
}

/** Draws shaped runs from x with their baseline at `baseline` (page coordinates, y down). */
function drawRuns(doc: Doc, shaped: Shaped[], x: number, baseline: number, weight: Weight, size: number): void {
  const d = inner(doc);
  const y = d.page.height - baseline;
  const scale = size / 1000;
  doc.save();
  // PDFKit's pages are flipped (y down); glyphs are set in the page's own space, as PDFKit's text does.
  d.addContent(`1 0 0 -1 0 ${num(d.page.height)} cm`);
  d.addContent('BT');
  for (const s of shaped) {
    const font = useFace(doc, s.face, weight, size);
    d.page.fonts[font.id] ??= font.ref();
    if (s.actual !== undefined) doc.markContent('Span', { actual: s.actual });
    d.addContent(`/${font.id} ${num(size)} Tf`);
    let pen = x;
    let pending: string[] = [];
    const flush = () => {
      if (pending.length) d.addContent(`[${pending.join(' ')}] TJ`);
      pending = [];
    };
    d.addContent(`1 0 0 1 ${num(pen)} ${num(y)} Tm`);
    s.positions.forEach((q, i) => {
      if (q.xOffset || q.yOffset) {
        flush();
        d.addContent(`1 0 0 1 ${num(pen + q.xOffset * scale)} ${num(y + q.yOffset * scale)} Tm`);
        d.addContent(`<${s.encoded[i]}> Tj`);
        d.addContent(`1 0 0 1 ${num(pen + q.xAdvance * scale)} ${num(y)} Tm`);
      } else {
        // The font's widths advance by advanceWidth; kerning and marks adjust from there.
        const adjust = q.xAdvance - q.advanceWidth;
        pending.push(`<${s.encoded[i]}>`);
        if (adjust !== 0) pending.push(num(-adjust));
      }
      pen += q.xAdvance * scale;
    });
    flush();
    if (s.actual !== undefined) doc.endMarkedContent();
    x = pen;
  }
  d.addContent('ET');
  doc.restore();
}

function currentWeight(doc: Doc): Weight {
  return /bold/i.test(inner(doc)._font.name) ? 'bold' : 'regular';
}

function boxWidth(doc: Doc, x: number, options: TextOptions): number {
  if (options.lineBreak === false) return Infinity;
  const page = inner(doc).page;
  return options.width ?? page.width - x - page.margins.right;
}

/**
 * Writes `text` like PDFKit's `doc.text(text, x, y, options)` for the options documents use, in
 * the current weight and size, and leaves doc.x and doc.y below it. Text without a word of
 * Arabic or Javanese script or right-to-left text is left to PDFKit as it was.
 */
export function writeText(doc: Doc, text: string, x?: number, y?: number, options: TextOptions = {}): void {
  if (isPlainText(text)) {
    // PDFKit reads options in place of an x left undefined.
    if (x === undefined && y === undefined) doc.text(text, options);
    else doc.text(text, x, y, options);
    return;
  }
  const weight = currentWeight(doc);
  const size = inner(doc)._fontSize;
  const left = x ?? doc.x;
  let top = y ?? doc.y;
  const width = boxWidth(doc, left, options);
  let lines = options.lineBreak === false ? [{ p: paragraph(text.replace(/[\r\n\t]/g, ' ')), start: 0, end: text.length }] : wrap(doc, text, width, weight, size);
  const bottom = options.height === undefined ? undefined : top + options.height;
  // Which lines fit a bounded box: the same metrics as drawing them.
  if (bottom !== undefined) {
    let used = top;
    const kept: Line[] = [];
    for (const line of lines) {
      const faces = visualRuns(line.p, line.start, trimEnd(line.p, line.start, line.end)).map((r) => r.face);
      used += lineMetrics(doc, faces, weight, size).height;
      if (used > bottom && kept.length > 0) break;
      kept.push(line);
    }
    if (kept.length < lines.length && options.ellipsis) kept[kept.length - 1] = ellipsisLine(doc, kept[kept.length - 1]!, width, weight, size);
    lines = kept;
  }
  for (const line of lines) {
    const runs = visualRuns(line.p, line.start, trimEnd(line.p, line.start, line.end));
    const metrics = lineMetrics(doc, runs.map((r) => r.face), weight, size);
    if (bottom === undefined && options.lineBreak !== false && top + metrics.height > inner(doc).page.maxY() && top > inner(doc).page.margins.top) {
      doc.addPage();
      top = inner(doc).page.margins.top;
    }
    const shaped = runs.map((r) => shape(doc, r, weight, size));
    const lineWidth = shaped.reduce((w, s) => w + s.width, 0);
    const align = options.align === 'center' ? 'center' : options.align === 'right' || line.p.rtl ? 'right' : 'left';
    const room = Number.isFinite(width) ? width : lineWidth;
    const start = align === 'left' ? left : align === 'right' ? left + room - lineWidth : left + (room - lineWidth) / 2;
    drawRuns(doc, shaped, start, top + metrics.ascent, weight, size);
    if (options.underline) {
      const thickness = size < 10 ? 0.5 : Math.floor(size / 10);
      const at = top + metrics.height - thickness;
      doc.save().lineWidth(thickness).moveTo(start, at).lineTo(start + lineWidth, at).stroke().restore();
    }
    top += metrics.height;
  }
  doc.font(fontName('sans', weight)).fontSize(size);
  doc.x = left;
  doc.y = top;
}

/** The height `writeText` would take for `text` in a box `width` wide (PDFKit's heightOfString for plain text). */
export function textHeight(doc: Doc, text: string, options: { width: number }): number {
  if (isPlainText(text)) return doc.heightOfString(text, options);
  const weight = currentWeight(doc);
  const size = inner(doc)._fontSize;
  const lines = wrap(doc, text, options.width, weight, size);
  const height = lines.reduce((h, line) => {
    const faces = visualRuns(line.p, line.start, trimEnd(line.p, line.start, line.end)).map((r) => r.face);
    return h + lineMetrics(doc, faces, weight, size).height;
  }, 0);
  doc.font(fontName('sans', weight)).fontSize(size);
  return height;
}
