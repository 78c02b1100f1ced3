import { shaperReverses } from './text-runs';

/**
 * Shaping a run of text into glyphs with fontkit (PDFKit's font engine), and recording the glyphs
 * in PDFKit's font subset as PDFKit's own `encode` does. Two faults of fontkit's Universal Shaping
 * Engine are worked around here, so that no text can make a document fail to render:
 * - it has no rule for the Javanese cakra (U+A9BF, medial ra) and throws on "ꦏꦿ"; cakra is
 *   classified as the other below-base medial, keret (U+A9BD), for shaping only;
 * - a mark with no letter before it (a lone pangkon) throws: a dotted circle carries it, as
 *   other shapers do; a word it still cannot take is drawn unshaped rather than no document.
 */

export interface GlyphPosition { xAdvance: number; xOffset: number; yOffset: number; advanceWidth: number }

interface Glyph { id: number; codePoints: number[]; advanceWidth: number }
interface GlyphRun { glyphs: Glyph[]; positions: GlyphPosition[]; advanceWidth: number }
interface FontkitFont {
  glyphsForString(text: string): Glyph[];
  layout(input: string | Glyph[], features?: string[]): GlyphRun;
}

/** The parts of PDFKit's embedded font used here (not in its typings). */
export interface EmbeddedFont {
  id: string;
  name: string;
  ascender: number;
  descender: number;
  scale: number;
  font: FontkitFont;
  subset: { includeGlyph(id: number): number };
  widths: number[];
  unicode: number[][];
  ref(): unknown;
}

const CAKRA = 0xa9bf;
const KERET = 0xa9bd;
/** Javanese signs that attach to a letter before them. */
const ORPHAN_JAVANESE_MARK = /(^|[^\uA984-\uA9C0])([\uA980-\uA983\uA9B3-\uA9C0])/gu;

function glyphsFor(font: FontkitFont, text: string): Glyph[] {
  return font.glyphsForString(text).map((g) =>
    (g.codePoints[0] === CAKRA ? (Object.create(g, { codePoints: { value: [KERET] } }) as Glyph) : g));
}

function unshaped(font: FontkitFont, text: string): GlyphRun {
  const glyphs = font.glyphsForString(text);
  const positions = glyphs.map((g) => ({ xAdvance: g.advanceWidth, xOffset: 0, yOffset: 0, advanceWidth: g.advanceWidth }));
  return { glyphs, positions, advanceWidth: 0 };
}

/** The shaped run, or undefined when the shaper fails on it even with dotted circles under orphan marks. */
function shaped(font: FontkitFont, text: string): GlyphRun | undefined {
  try {
    return font.layout(glyphsFor(font, text), []);
  } catch {
    try {
      return font.layout(glyphsFor(font, text.replace(ORPHAN_JAVANESE_MARK, '$1\u25cc$2')), []);
    } catch {
      return undefined;
    }
  }
}

const cache = new WeakMap<FontkitFont, Map<string, GlyphRun>>();

/** Glyphs and positions of `text` (in font units), shaped as one piece with the font's default features. */
export function layoutRun(font: EmbeddedFont, text: string): GlyphRun {
  let runs = cache.get(font.font);
  if (!runs) cache.set(font.font, (runs = new Map()));
  const known = runs.get(text);
  if (known) return known;
  let run = shaped(font.font, text);
  if (!run) {
    // Word by word, so that one word the shaper cannot take is the only one drawn unshaped.
    const words = text.match(/[^ ]+ *| +/g) ?? [];
    const pieces = words.map((w) => shaped(font.font, w) ?? unshaped(font.font, w));
    if (shaperReverses(text)) pieces.reverse();
    run = { glyphs: pieces.flatMap((p) => p.glyphs), positions: pieces.flatMap((p) => p.positions), advanceWidth: 0 };
  }
  // In thousandths of an em, with each glyph's own advance beside it, as PDFKit's layout gives them.
  const positions = run.positions.map((p, i) => ({
    xAdvance: p.xAdvance * font.scale, xOffset: p.xOffset * font.scale, yOffset: p.yOffset * font.scale,
    advanceWidth: run.glyphs[i]!.advanceWidth * font.scale,
  }));
  const out = { glyphs: run.glyphs, positions, advanceWidth: positions.reduce((w, p) => w + p.xAdvance, 0) };
  if (runs.size > 2000) runs.clear();
  runs.set(text, out);
  return out;
}

/** Width of `text` in points at `size`. */
export function widthOf(font: EmbeddedFont, text: string, size: number): number {
  return layoutRun(font, text).advanceWidth * size / 1000;
}

/**
 * The glyph ids (4 hex digits each, in the embedded subset) and positions of `text`, recording
 * each glyph's width and characters for the font's /Widths and /ToUnicode as PDFKit does.
 */
export function encode(font: EmbeddedFont, text: string): [string[], GlyphPosition[]] {
  const { glyphs, positions } = layoutRun(font, text);
  const hex = glyphs.map((glyph) => {
    const gid = font.subset.includeGlyph(glyph.id);
    font.widths[gid] ??= glyph.advanceWidth * font.scale;
    font.unicode[gid] ??= glyph.codePoints;
    return `0000${gid.toString(16)}`.slice(-4);
  });
  return [hex, positions];
}
