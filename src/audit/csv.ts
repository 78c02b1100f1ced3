/**
 * RFC 4180 CSV for spreadsheets: CRLF line ends, fields quoted when they hold a comma, quote or
 * line break, and a cell a spreadsheet would run as a formula (OWASP "CSV injection": a comment
 * `=HYPERLINK(…)`) kept as text by a leading `'`.
 */

/** A first character that makes a spreadsheet read a cell as a formula; `'` itself, so the guard is reversible. */
const FORMULA_START = /^[=+\-@\t\r']/;

/** The cell text for `text`: one `'` in front when it begins with `=`, `+`, `-`, `@`, TAB, CR or `'`. */
export function spreadsheetSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** A cell a spreadsheet would run: what spreadsheetSafe never leaves unguarded. */
export function formulaLike(cell: string): boolean {
  return /^[=+\-@\t\r]/.test(cell);
}

/** The inverse of spreadsheetSafe: exactly one leading `'` removed from a cell it guarded. */
export function spreadsheetValue(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = spreadsheetSafe(typeof value === 'string' ? value : String(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * An incremental CSV parser: feed text chunks, get back complete records. Quoted fields may span
 * lines; an empty unquoted field is distinguished from an empty quoted one ("" → '').
 */
export class CsvParser {
  private field = '';
  private record: Array<string | null> = [];
  private quoted = false;
  private inQuotes = false;
  private pendingQuote = false;
  private fieldStarted = false;

  push(chunk: string): Array<Array<string | null>> {
    const out: Array<Array<string | null>> = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.inQuotes) {
        if (this.pendingQuote) {
          this.pendingQuote = false;
          if (ch === '"') {
            this.field += '"';
            continue;
          }
          this.inQuotes = false;
        } else if (ch === '"') {
          this.pendingQuote = true;
          continue;
        } else {
          this.field += ch;
          continue;
        }
      }
      if (ch === '"' && !this.fieldStarted) {
        this.inQuotes = true;
        this.quoted = true;
        this.fieldStarted = true;
      } else if (ch === ',') {
        this.endField();
      } else if (ch === '\n') {
        this.endField();
        out.push(this.record);
        this.record = [];
      } else if (ch !== '\r') {
        this.field += ch;
        this.fieldStarted = true;
      }
    }
    return out;
  }

  /** The last record when the input did not end with a line break. */
  end(): Array<Array<string | null>> {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) throw new Error('CSV ends inside a quoted field');
    if (!this.fieldStarted && this.record.length === 0) return [];
    this.endField();
    const last = this.record;
    this.record = [];
    return [last];
  }

  private endField(): void {
    this.record.push(this.field === '' && !this.quoted ? null : this.field);
    this.field = '';
    this.quoted = false;
    this.fieldStarted = false;
  }
}
