import fs from 'node:fs';
import path from 'node:path';
import * as fontkit from 'fontkit';

/**
 * The fonts every document embeds (subset to the glyphs it uses): Noto Sans for Latin (with
 * Greek, Cyrillic and the punctuation Indonesian needs), Noto Naskh Arabic for Arabic script
 * (Arabic, Jawi and Pegon letters) and Noto Sans Javanese for aksara Jawa. They ship with the
 * project under src/documents/fonts (OFL-1.1, see README.md and OFL.txt there), so rendering
 * needs no system font.
 */

/** Which font a piece of text is set in. */
export type Face = 'sans' | 'arabic' | 'javanese';
export type Weight = 'regular' | 'bold';

const FILES: Record<Face, Record<Weight, string>> = {
  sans: { regular: 'NotoSans-Regular.ttf', bold: 'NotoSans-Bold.ttf' },
  arabic: { regular: 'NotoNaskhArabic-Regular.ttf', bold: 'NotoNaskhArabic-Bold.ttf' },
  javanese: { regular: 'NotoSansJavanese-Regular.ttf', bold: 'NotoSansJavanese-Bold.ttf' },
};

/** In the order a character that several fonts have is looked for. */
export const FACES: readonly Face[] = ['sans', 'arabic', 'javanese'];

/** The name a face is registered under in a PDFKit document. */
export function fontName(face: Face, weight: Weight): string {
  return `grms-${face}-${weight}`;
}

/**
 * The fonts folder. tsc copies no asset files into dist, so it is found from the package root
 * (the nearest folder with package.json), the same under tsx (src/documents) and the build
 * (dist/src/documents), as the console's assets are.
 */
export function fontsDir(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}: cannot find the document fonts`);
    dir = up;
  }
  return path.join(dir, 'src', 'documents', 'fonts');
}

// Read once per thread: every document registers the same bytes.
let bytes: Record<Face, Record<Weight, Buffer>> | undefined;

function fontBytes(): Record<Face, Record<Weight, Buffer>> {
  if (bytes) return bytes;
  const dir = fontsDir();
  const read = (face: Face) => ({ regular: fs.readFileSync(path.join(dir, FILES[face].regular)), bold: fs.readFileSync(path.join(dir, FILES[face].bold)) });
  bytes = { sans: read('sans'), arabic: read('arabic'), javanese: read('javanese') };
  return bytes;
}

/** Registers the document fonts in `doc` under fontName(face, weight). */
export function registerDocumentFonts(doc: PDFKit.PDFDocument): void {
  const all = fontBytes();
  for (const face of FACES) {
    doc.registerFont(fontName(face, 'regular'), all[face].regular);
    doc.registerFont(fontName(face, 'bold'), all[face].bold);
  }
}

/** The bytes of the regular Noto Sans, for a document's default font. */
export function defaultFontBytes(): Buffer {
  return fontBytes().sans.regular;
}

let covered: Record<Face, ReadonlySet<number>> | undefined;

/**
 * The code points each face has a glyph for (the bold and regular files cover the same ones).
 * Read from the fonts themselves, so the input rule and the renderer agree on what can be shown.
 */
export function coverage(): Record<Face, ReadonlySet<number>> {
  if (covered) return covered;
  const all = fontBytes();
  const setOf = (face: Face) => {
    const font = fontkit.create(all[face].regular);
    if (!('characterSet' in font)) throw new Error(`${FILES[face].regular} is a font collection, not a font`);
    return new Set(font.characterSet);
  };
  covered = { sans: setOf('sans'), arabic: setOf('arabic'), javanese: setOf('javanese') };
  return covered;
}
