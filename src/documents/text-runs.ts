import bidiFactory from 'bidi-js';
import { coverage, FACES, type Face } from './fonts';

/**
 * Which font each character is set in (script detection) and in which order the pieces of a line
 * are drawn (the Unicode bidirectional algorithm, UAX #9). Text is kept in logical order
 * everywhere else: only the drawing order of a finished line is visual.
 */

const bidi = bidiFactory();

const JAVANESE = /\p{Script=Javanese}/u;
const ARABIC = /\p{Script=Arabic}/u;
/** Characters shared by scripts (spaces, digits, punctuation, combining marks): they take a neighbour's font. */
const WEAK = /[\p{Script=Common}\p{Script=Inherited}]/u;
/** Latin, its accents and common punctuation: text made only of these needs no script layout. */
const PLAIN = /^[\t\n\r\u0020-\u007e\u00a0-\u036f\u1e00-\u1eff\u2010-\u2027\u2030-\u205e\u20a0-\u20c0]*$/;
/** Explicit bidi formatting (refused at input since version 0.1 of the text rule; dropped if older data holds them). */
const EXPLICIT = new Set(['LRE', 'RLE', 'LRO', 'RLO', 'PDF', 'LRI', 'RLI', 'FSI', 'PDI']);
const STRONG_RTL = new Set(['R', 'AL', 'AN']);

function strongFace(ch: string, cp: number): Face | null {
  if (WEAK.test(ch)) return null;
  if (JAVANESE.test(ch)) return 'javanese';
  if (ARABIC.test(ch)) return 'arabic';
  const cov = coverage();
  return FACES.find((f) => cov[f].has(cp)) ?? 'sans';
}

/** True when `text` can be laid out as plain left-to-right Noto Sans (PDFKit's own layout). */
export function isPlainText(text: string): boolean {
  if (PLAIN.test(text)) return true;
  const cov = coverage();
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (JAVANESE.test(ch) || ARABIC.test(ch)) return false;
    if (!cov.sans.has(cp) && (cov.arabic.has(cp) || cov.javanese.has(cp))) return false;
    const type = bidi.getBidiCharTypeName(ch);
    if (STRONG_RTL.has(type) || EXPLICIT.has(type)) return false;
  }
  return true;
}

/**
 * The face of each UTF-16 unit of `text` (both halves of a pair get the same). A script's
 * letters pick its font; shared characters stay in the font of the text before them when it has
 * them (so an Arabic phrase keeps its spaces and digits and is shaped as one), else the next.
 */
export function facesOf(text: string): Face[] {
  const cov = coverage();
  const chars: Array<{ at: number; ch: string; cp: number; face: Face | null }> = [];
  let at = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    chars.push({ at, ch, cp, face: strongFace(ch, cp) });
    at += ch.length;
  }
  let nextStrong: Face | null = null;
  const following: Array<Face | null> = new Array(chars.length);
  for (let i = chars.length - 1; i >= 0; i--) {
    following[i] = nextStrong;
    if (chars[i]!.face) nextStrong = chars[i]!.face;
  }
  let previous: Face | null = null;
  const out: Face[] = new Array(text.length);
  chars.forEach((c, i) => {
    if (!c.face) {
      const has = (f: Face | null): f is Face => f !== null && cov[f].has(c.cp);
      c.face = has(previous) ? previous : has(following[i]!) ? following[i]! : FACES.find((f) => cov[f].has(c.cp)) ?? previous ?? 'sans';
    }
    previous = c.face;
    for (let k = 0; k < c.ch.length; k++) out[c.at + k] = c.face;
  });
  return out;
}

export interface Paragraph {
  text: string;
  faces: Face[];
  embedding: ReturnType<typeof bidi.getEmbeddingLevels>;
  /** The paragraph's base direction. */
  rtl: boolean;
}

/**
 * A paragraph's levels. Documents are written left to right: a paragraph is right-to-left only
 * when it has no left-to-right letter at all (an Arabic-script note), not merely because its first
 * letter is Arabic (rule P2 would turn "مسجد الهدى Kelurahan Ngaliyan" around).
 */
export function paragraph(text: string): Paragraph {
  const hasLtr = [...text].some((ch) => bidi.getBidiCharTypeName(ch) === 'L');
  const embedding = bidi.getEmbeddingLevels(text, hasLtr ? 'ltr' : 'auto');
  return { text, faces: facesOf(text), embedding, rtl: (embedding.paragraphs[0]?.level ?? 0) % 2 === 1 };
}

/** A piece of one line, drawn left to right in the order given; `text` is in logical order. */
export interface VisualRun {
  text: string;
  face: Face;
  rtl: boolean;
}

/** Characters a drawn run leaves out: explicit bidi formatting and invisible controls (ZWJ and ZWNJ stay: they shape). */
function drawable(ch: string): boolean {
  const type = bidi.getBidiCharTypeName(ch);
  if (EXPLICIT.has(type)) return false;
  return type !== 'BN' || ch === '\u200c' || ch === '\u200d';
}

/**
 * The runs of the line [start, end) of a paragraph in visual order (rules L1–L2): maximal
 * pieces with one font and one direction whose characters are contiguous in the text.
 */
export function visualRuns(p: Paragraph, start: number, end: number): VisualRun[] {
  if (end <= start) return [];
  // The whole paragraph's indices come back, reordered within the line only.
  const order = bidi.getReorderedIndices(p.text, p.embedding, start, end - 1).slice(start, end);
  const runs: Array<{ from: number; to: number; face: Face; rtl: boolean }> = [];
  for (const i of order) {
    const face = p.faces[i]!;
    const rtl = p.embedding.levels[i]! % 2 === 1;
    const last = runs[runs.length - 1];
    if (last && last.face === face && last.rtl === rtl && (rtl ? i === last.from - 1 : i === last.to + 1)) {
      if (rtl) last.from = i;
      else last.to = i;
    } else {
      runs.push({ from: i, to: i, face, rtl });
    }
  }
  return runs
    .map((r) => ({ text: [...p.text.slice(r.from, r.to + 1)].filter(drawable).join(''), face: r.face, rtl: r.rtl }))
    .filter((r) => r.text.length > 0);
}

/** `text` with the characters that mirror in right-to-left text (brackets, <, >) swapped. */
export function mirrored(text: string): string {
  let out = '';
  for (const ch of text) out += bidi.getMirroredCharacter(ch) ?? ch;
  return out;
}

/**
 * Whether the shaper (fontkit) lays this right-to-left text out in visual order by itself: it
 * does when the first character with a script of its own is of a right-to-left script.
 */
export function shaperReverses(text: string): boolean {
  for (const ch of text) {
    if (WEAK.test(ch)) continue;
    return STRONG_RTL.has(bidi.getBidiCharTypeName(ch));
  }
  return false;
}
