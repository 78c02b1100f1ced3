/**
 * A reader for the few PDF objects grms has to understand itself: trailers, cross-reference
 * tables, the catalogue and the Document Security Store of the revision appended after a
 * signature. Strict by design (it reads what a conforming writer writes and refuses the rest);
 * nesting and sizes are bounded, since the bytes come from anonymous uploads.
 */

export type PdfValue =
  | { kind: 'dict'; entries: Map<string, PdfValue>; start: number; end: number }
  | { kind: 'array'; items: PdfValue[] }
  | { kind: 'name'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'ref'; num: number; gen: number }
  | { kind: 'string'; bytes: Buffer }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export interface PdfObject {
  num: number;
  gen: number;
  /** Offset of the object's first digit ("12 0 obj"). */
  start: number;
  /** Offset just past "endobj". */
  end: number;
  value: PdfValue;
  /** The raw stream data, when the object is a stream. */
  stream?: Buffer;
}

/** Bytes that are not a PDF object (or not the ones expected). */
export class PdfSyntaxError extends Error {
  readonly code = 'PDF_SYNTAX';
}

const MAX_DEPTH = 32;
const WHITE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITERS = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);

export class PdfReader {
  constructor(readonly buf: Buffer, public pos: number, readonly limit = buf.length) {}

  private fail(what: string): never {
    throw new PdfSyntaxError(`${what} at byte ${this.pos}`);
  }

  peek(): number | undefined {
    return this.pos < this.limit ? this.buf[this.pos] : undefined;
  }

  /** Skips white space and comments. */
  skip(): void {
    while (this.pos < this.limit) {
      const c = this.buf[this.pos]!;
      if (WHITE.has(c)) this.pos++;
      else if (c === 0x25) while (this.pos < this.limit && this.buf[this.pos] !== 0x0a && this.buf[this.pos] !== 0x0d) this.pos++;
      else break;
    }
  }

  /** A run of regular characters (a keyword, a number, a name's body). */
  private token(): string {
    const from = this.pos;
    while (this.pos < this.limit && !WHITE.has(this.buf[this.pos]!) && !DELIMITERS.has(this.buf[this.pos]!)) this.pos++;
    return this.buf.toString('latin1', from, this.pos);
  }

  /** Consumes `word` (after white space) or fails. */
  expect(word: string): void {
    this.skip();
    const at = this.pos;
    if (this.buf.toString('latin1', at, at + word.length) !== word) this.fail(`expected "${word}"`);
    this.pos += word.length;
    const next = this.peek();
    if (/^[A-Za-z]/.test(word) && next !== undefined && !WHITE.has(next) && !DELIMITERS.has(next)) this.fail(`expected "${word}"`);
  }

  /** Whether the next token is `word` (not consumed). */
  at(word: string): boolean {
    this.skip();
    return this.buf.toString('latin1', this.pos, this.pos + word.length) === word;
  }

  integer(): number {
    this.skip();
    const t = this.token();
    if (!/^\d{1,10}$/.test(t)) this.fail('expected a non-negative integer');
    return Number(t);
  }

  value(depth = 0): PdfValue {
    if (depth > MAX_DEPTH) this.fail('objects nested too deep');
    this.skip();
    const c = this.peek();
    if (c === undefined) this.fail('unexpected end');
    if (c === 0x3c && this.buf[this.pos + 1] === 0x3c) return this.dict(depth);
    if (c === 0x3c) return this.hexString();
    if (c === 0x28) return this.literalString();
    if (c === 0x5b) {
      this.pos++;
      const items: PdfValue[] = [];
      while (!this.at(']')) items.push(this.value(depth + 1));
      this.pos++;
      return { kind: 'array', items };
    }
    if (c === 0x2f) {
      this.pos++;
      const raw = this.token();
      return { kind: 'name', value: raw.replace(/#([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) };
    }
    const t = this.token();
    if (t === 'true' || t === 'false') return { kind: 'bool', value: t === 'true' };
    if (t === 'null') return { kind: 'null' };
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) this.fail(`unexpected "${t.slice(0, 20)}"`);
    // "12 0 R" is a reference: look ahead without consuming when it is not.
    if (/^\d+$/.test(t)) {
      const back = this.pos;
      this.skip();
      const gen = this.token();
      this.skip();
      if (/^\d+$/.test(gen) && this.peek() === 0x52 /* R */) {
        this.pos++;
        const next = this.peek();
        if (next === undefined || WHITE.has(next) || DELIMITERS.has(next)) return { kind: 'ref', num: Number(t), gen: Number(gen) };
      }
      this.pos = back;
    }
    return { kind: 'number', value: Number(t) };
  }

  private dict(depth: number): PdfValue {
    const start = this.pos;
    this.pos += 2;
    const entries = new Map<string, PdfValue>();
    while (!this.at('>>')) {
      const key = this.value(depth + 1);
      if (key.kind !== 'name') this.fail('a dictionary key is not a name');
      if (entries.has(key.value)) this.fail(`key /${key.value} appears twice`);
      entries.set(key.value, this.value(depth + 1));
    }
    this.pos += 2;
    return { kind: 'dict', entries, start, end: this.pos };
  }

  private hexString(): PdfValue {
    const end = this.buf.indexOf(0x3e, this.pos);
    if (end < 0 || end >= this.limit) this.fail('unterminated hex string');
    const hex = this.buf.toString('latin1', this.pos + 1, end).replace(/\s+/g, '');
    if (!/^[0-9A-Fa-f]*$/.test(hex)) this.fail('bad hex string');
    this.pos = end + 1;
    return { kind: 'string', bytes: Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex') };
  }

  private literalString(): PdfValue {
    const out: number[] = [];
    let depth = 0;
    this.pos++;
    for (;;) {
      if (this.pos >= this.limit) this.fail('unterminated string');
      const c = this.buf[this.pos++]!;
      if (c === 0x5c) {
        const e = this.buf[this.pos++];
        const map: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x66: 0x0c };
        if (e === undefined) this.fail('unterminated string');
        if (map[e] !== undefined) out.push(map[e]!);
        else if (e >= 0x30 && e <= 0x37) {
          let octal = e - 0x30;
          for (let k = 0; k < 2 && this.buf[this.pos]! >= 0x30 && this.buf[this.pos]! <= 0x37; k++) octal = octal * 8 + (this.buf[this.pos++]! - 0x30);
          out.push(octal & 0xff);
        } else if (e === 0x0d) {
          if (this.buf[this.pos] === 0x0a) this.pos++;
        } else if (e !== 0x0a) out.push(e);
      } else if (c === 0x28) {
        depth++;
        out.push(c);
      } else if (c === 0x29) {
        if (depth === 0) break;
        depth--;
        out.push(c);
      } else out.push(c);
    }
    return { kind: 'string', bytes: Buffer.from(out) };
  }

  /** "N G obj value [stream … endstream] endobj" at the current position. */
  object(): PdfObject {
    this.skip();
    const start = this.pos;
    const num = this.integer();
    const gen = this.integer();
    this.expect('obj');
    const value = this.value();
    let stream: Buffer | undefined;
    if (this.at('stream')) {
      if (value.kind !== 'dict') this.fail('a stream without a dictionary');
      this.pos += 'stream'.length;
      // The keyword is followed by CRLF or LF, then exactly /Length bytes.
      if (this.buf[this.pos] === 0x0d && this.buf[this.pos + 1] === 0x0a) this.pos += 2;
      else if (this.buf[this.pos] === 0x0a) this.pos += 1;
      else this.fail('"stream" not followed by an end of line');
      const length = value.entries.get('Length');
      if (length?.kind !== 'number' || !Number.isInteger(length.value) || length.value < 0) this.fail('a stream without a direct integer /Length');
      if (this.pos + length.value > this.limit) this.fail('a stream runs past the end');
      stream = this.buf.subarray(this.pos, this.pos + length.value);
      this.pos += length.value;
      this.expect('endstream');
    }
    this.expect('endobj');
    return { num, gen, start, end: this.pos, value, stream };
  }
}

/** One canonical text for a value: equal values (whatever their spacing or escapes) give equal text. */
export function canonical(v: PdfValue): string {
  switch (v.kind) {
    case 'dict':
      return `<<${[...v.entries.keys()].sort().map((k) => `/${escapeName(k)} ${canonical(v.entries.get(k)!)}`).join(' ')}>>`;
    case 'array':
      return `[${v.items.map(canonical).join(' ')}]`;
    case 'name':
      return `/${escapeName(v.value)}`;
    case 'number':
      return String(v.value);
    case 'ref':
      return `${v.num} ${v.gen} R`;
    case 'string':
      return `<${v.bytes.toString('hex')}>`;
    case 'bool':
      return String(v.value);
    case 'null':
      return 'null';
  }
}

function escapeName(name: string): string {
  return [...Buffer.from(name, 'latin1')].map((b) => (b > 0x20 && b < 0x7f && !DELIMITERS.has(b) && b !== 0x23 ? String.fromCharCode(b) : `#${b.toString(16).padStart(2, '0')}`)).join('');
}

/** A classic cross-reference section and the trailer after it. */
export interface XrefSection {
  /** Offset of "xref". */
  offset: number;
  /** In-use entries: object number → offset (generation kept apart). */
  entries: Map<number, { offset: number; gen: number }>;
  /** Free entries' object numbers. */
  free: number[];
  trailer: Map<string, PdfValue>;
  /** Offset just past the trailer dictionary. */
  end: number;
}

/** Reads "xref … trailer << … >>" at `offset`; refuses a cross-reference stream. */
export function readXrefSection(buf: Buffer, offset: number, limit = buf.length): XrefSection {
  const r = new PdfReader(buf, offset, limit);
  r.expect('xref');
  const entries = new Map<number, { offset: number; gen: number }>();
  const free: number[] = [];
  let total = 0;
  while (!r.at('trailer')) {
    const first = r.integer();
    const count = r.integer();
    total += count;
    if (total > 1_000_000) throw new PdfSyntaxError('cross-reference table too long');
    r.skip();
    for (let i = 0; i < count; i++) {
      const line = buf.toString('latin1', r.pos, r.pos + 20);
      const m = /^(\d{10}) (\d{5}) ([nf])(?: \r| \n|\r\n)$/.exec(line);
      if (!m) throw new PdfSyntaxError(`bad cross-reference entry at byte ${r.pos}`);
      if (m[3] === 'n') entries.set(first + i, { offset: Number(m[1]), gen: Number(m[2]) });
      else free.push(first + i);
      r.pos += 20;
    }
  }
  r.expect('trailer');
  const trailer = r.value();
  if (trailer.kind !== 'dict') throw new PdfSyntaxError('the trailer is not a dictionary');
  return { offset, entries, free, trailer: trailer.entries, end: r.pos };
}

/** The offset "startxref" names at the end of `buf[0, end)`, which must end in %%EOF (and an optional end of line). */
export function lastStartXref(buf: Buffer, end: number): number {
  const tail = buf.toString('latin1', Math.max(0, end - 64), end);
  const m = /startxref\s+(\d{1,10})\s+%%EOF(\r\n|\r|\n)?$/.exec(tail);
  if (!m) throw new PdfSyntaxError('no startxref and %%EOF at the end of the revision');
  return Number(m[1]);
}

/** Serializes the few values grms writes back (trailer /Info and /ID, catalogue entries). */
export function serialize(v: PdfValue): string {
  return canonical(v);
}
