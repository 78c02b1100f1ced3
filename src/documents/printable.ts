import { unprintableText, type FieldProblem } from '../errors';
import { escapePointer } from '../reserved-keys';
import { coverage, FACES } from './fonts';

/**
 * Text that can end up in a signed document is refused where it is entered when a document could
 * not show it as written: emoji, bidirectional controls (they change the order text is shown in,
 * so a document could show other words than the ones approved), zero-width and other invisible
 * formatting characters (ZWJ and ZWNJ stay: Arabic and Javanese need them), control characters,
 * and any character none of the document fonts has (src/documents/fonts). Applied to instance
 * data, event data and comments, names and positions of people, names and codes of organisations,
 * and delegation reasons; not to passwords or searches, which no document prints.
 */

export type UnprintableKind = 'emoji' | 'bidi-control' | 'invisible' | 'control' | 'unsupported';

export interface Unprintable {
  kind: UnprintableKind;
  /** The first offending character. */
  char: string;
}

const ASCII = /^[\t\n\r\x20-\x7e]*$/;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;
const FORMAT = /\p{Cf}/u;
const CONTROL = /\p{Cc}/u;
const JOINERS = new Set(['\u200c', '\u200d']);
/** Characters shown as emoji by default, skin tones, flags' letters, the emoji selector and the keycap. */
const EMOJI = /[\p{Emoji_Presentation}\p{Emoji_Modifier}\u{1f1e6}-\u{1f1ff}\ufe0f\u20e3]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

/** `U+202E`. */
export const codePointLabel = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first character of `text` a document could not show as written, or undefined. */
export function firstUnprintable(text: string): Unprintable | undefined {
  if (ASCII.test(text)) return undefined;
  const cov = coverage();
  for (const ch of text) {
    if (ch === '\t' || ch === '\n' || ch === '\r') continue;
    const cp = ch.codePointAt(0)!;
    const shown = FACES.some((f) => cov[f].has(cp));
    if (CONTROL.test(ch)) return { kind: 'control', char: ch };
    if (BIDI_CONTROL.test(ch)) return { kind: 'bidi-control', char: ch };
    if (FORMAT.test(ch) && !JOINERS.has(ch)) return { kind: 'invisible', char: ch };
    // A pictograph a font has (©, ®, ™) is text; one none has is an emoji in any reader's eyes.
    if (EMOJI.test(ch) || (PICTOGRAPH.test(ch) && !shown)) return { kind: 'emoji', char: ch };
    if (!shown) return { kind: 'unsupported', char: ch };
  }
  return undefined;
}

/** The problem message (English; the console translates it) for a refused character. */
export function unprintableMessage(u: Unprintable): string {
  const label = codePointLabel(u.char);
  switch (u.kind) {
    case 'emoji': return `must not contain emoji (${u.char} ${label}): a signed document cannot show them`;
    case 'bidi-control': return `must not contain bidirectional control characters (${label}): they change the order text is shown in`;
    case 'invisible': return `must not contain zero-width or invisible formatting characters (${label}); only ZWJ and ZWNJ are allowed`;
    case 'control': return `must not contain control characters (${label})`;
    case 'unsupported': return `contains a character no document font can show (${u.char} ${label}); Latin, Arabic and Javanese script can be printed`;
  }
}

/** Every string in `value` (at any depth) holding a character a document could not show, by JSON Pointer. */
export function unprintableProblems(value: unknown, path = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  const walk = (v: unknown, p: string, depth: number) => {
    if (depth > 64 || out.length >= 20) return;
    if (typeof v === 'string') {
      const u = firstUnprintable(v);
      if (u) out.push({ path: p, message: unprintableMessage(u) });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${p}/${i}`, depth + 1));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) walk(item, `${p}/${escapePointer(k)}`, depth + 1);
    }
  };
  walk(value, path, 0);
  return out;
}

/** Throws UNPRINTABLE_TEXT (422) naming every such field. */
export function refuseUnprintable(value: unknown, path = ''): void {
  const problems = unprintableProblems(value, path);
  if (problems.length) throw unprintableText(problems);
}
