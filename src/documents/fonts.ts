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

// Parsed once per thread and shared by every document (PDFKit takes a fontkit font as it is; each
// document keeps its own subset): parsing Noto Sans for each document cost more than the rest of it.
let parsed: Record<Face, Record<Weight, fontkit.Font>> | undefined;

function parsedFonts(): Record<Face, Record<Weight, fontkit.Font>> {
  if (parsed) return parsed;
  const dir = fontsDir();
  const open = (file: string): fontkit.Font => {
    const font = fontkit.create(fs.readFileSync(path.join(dir, file)));
    if (!('characterSet' in font)) throw new Error(`${file} is a font collection, not a font`);
    return font;
  };
  const read = (face: Face) => ({ regular: open(FILES[face].regular), bold: open(FILES[face].bold) });
  parsed = { sans: read('sans'), arabic: read('arabic'), javanese: read('javanese') };
  return parsed;
}

/** Registers the document fonts in `doc` under fontName(face, weight). */
export function registerDocumentFonts(doc: PDFKit.PDFDocument): void {
  const all = parsedFonts();
  for (const face of FACES) {
    // PDFKit's typings name only paths and bytes; its font factory takes a parsed font too.
    doc.registerFont(fontName(face, 'regular'), all[face].regular as unknown as Buffer);
    doc.registerFont(fontName(face, 'bold'), all[face].bold as unknown as Buffer);
  }
}

let covered: Record<Face, ReadonlySet<number>> | undefined;

/**
 * The code points each face has a glyph for (the bold and regular files cover the same ones).
 * Read from the fonts themselves, so the input rule and the renderer agree on what can be shown.
 */
export function coverage(): Record<Face, ReadonlySet<number>> {
  if (covered) return covered;
  const all = parsedFonts();
  covered = { sans: new Set(all.sans.regular.characterSet), arabic: new Set(all.arabic.regular.characterSet), javanese: new Set(all.javanese.regular.characterSet) };
  return covered;
}
