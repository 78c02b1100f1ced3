/**
 * Source text of workflow functions (guards, actions, step hooks) in one canonical style, for the
 * definition hash. The compilers that load a workflow print the same function differently: tsc
 * (dist/, ts-jest) keeps the source's layout, quotes and comments and names imports `money_1`;
 * tsx/esbuild (bin/grms.js without dist/) drops whitespace, prints double quotes and `void 0`,
 * names imports `import_money`, reads the module's own exports without `exports.` and wraps named
 * functions in `__name(…)` (keepNames). Tokenising and re-printing makes the hash depend on the
 * code, not on how it was compiled. What remains compiler-dependent: redundant parentheses
 * (esbuild drops them, tsc keeps them).
 */
const WORD = /[\w$\u0080-\uffff]/;
const IDENT = /^[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*/;
const NUMBER = /^(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)n?/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', 0: '\0' };
// After these tokens a "/" starts a regular expression rather than a division.
const BEFORE_REGEX = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^', 'return', 'typeof', 'case', 'void', 'in', 'of', '=>']);
const OPERATORS = ['>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**', '<<', '>>'];
// tsc names a module's import binding `money_1`, esbuild `import_money`.
const TSC_IMPORT = /^([\w$]+?)_\d+$/;

/** `src` (a function's source text) printed in one fixed style: same code, same text. */
export function normalizeSource(src: string): string {
  const tokens: string[] = [];
  for (const tok of dropKeepNames(tokenize(src))) pushCanonical(tokens, tok);
  // One space only where two tokens would otherwise run together (`return x`, `a+ +b`).
  let out = '';
  for (const tok of tokens) {
    const prev = out[out.length - 1] ?? '';
    if ((WORD.test(prev) && WORD.test(tok[0]!)) || ((prev === '+' || prev === '-') && tok[0] === prev)) out += ' ';
    out += tok;
  }
  return out;
}

/** Tokens without comments or layout; string and number literals printed from their values. */
function tokenize(src: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const two = src.slice(i, i + 2);
    let tok: string;
    if (/\s/.test(c)) {
      i++;
      continue;
    } else if (two === '//' || two === '/*') {
      const close = src.indexOf(two === '//' ? '\n' : '*/', i + 2);
      i = close < 0 ? src.length : close + (two === '//' ? 0 : 2);
      continue;
    } else if (c === '"' || c === "'") {
      const [value, end] = readString(src, i);
      tok = JSON.stringify(value);
      i = end;
    } else if (c === '`') {
      const [parts, end] = readTemplate(src, i);
      tokens.push(...parts);
      i = end;
      continue;
    } else if (c === '/' && BEFORE_REGEX.has(tokens[tokens.length - 1] ?? '')) {
      const end = readRegex(src, i);
      tok = src.slice(i, end);
      i = end;
    } else if (IDENT.test(c)) {
      tok = IDENT.exec(src.slice(i))![0];
      i += tok.length;
    } else if (/[\d.]/.test(c) && NUMBER.test(src.slice(i)) && (c !== '.' || /\d/.test(src[i + 1] ?? ''))) {
      const text = NUMBER.exec(src.slice(i))![0];
      const plain = text.replace(/_/g, '');
      tok = plain.endsWith('n') ? `${BigInt(plain.slice(0, -1))}n` : String(Number(plain));
      i += text.length;
    } else {
      tok = OPERATORS.find((o) => src.startsWith(o, i)) ?? c;
      i += tok.length;
    }
    tokens.push(tok);
  }
  return tokens;
}

/**
 * Undoes esbuild's keepNames: `__name(f, "f");` after a declaration goes, `__name(expr, "g")` becomes
 * `expr`, and a class's `static { __name(this, "K") }` goes with its emptied block (pushCanonical).
 */
function dropKeepNames(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== '__name' || tokens[i + 1] !== '(') {
      out.push(tokens[i]!);
      continue;
    }
    let depth = 0;
    let lastComma = -1;
    let j = i + 1;
    for (; j < tokens.length; j++) {
      const t = tokens[j]!;
      if (t === '(' || t === '[' || t === '{') depth++;
      else if ((t === ')' || t === ']' || t === '}') && --depth === 0) break;
      else if (t === ',' && depth === 1) lastComma = j;
    }
    const prev = out[out.length - 1];
    const next = tokens[j + 1];
    if ((prev === undefined || prev === ';' || prev === '{' || prev === '}') && (next === undefined || next === ';' || next === '}')) {
      i = next === ';' ? j + 1 : j;
    } else {
      out.push(...dropKeepNames(tokens.slice(i + 2, lastComma < 0 ? j : lastComma)));
      i = j;
    }
  }
  return out;
}

/** Appends `tok`, folding what the two printers write differently for the same code. */
function pushCanonical(tokens: string[], tok: string): void {
  const at = (k: number) => tokens[tokens.length - k];
  if (tok === '}' && at(1) === '{' && at(2) === 'static') {
    tokens.length -= 2; // an empty static block does nothing
    return;
  }
  if (tok === '}' && at(1) === ';') tokens.pop(); // `{ return a; }` and `{return a}`
  if ((tok === '}' || tok === ']' || tok === ')') && at(1) === ',') tokens.pop(); // trailing commas
  if (tok === '=>' && at(1) === ')' && at(3) === '(' && IDENT.test(at(2) ?? '') && at(2) !== 'async') {
    tokens.splice(tokens.length - 3, 3, at(2)!); // `(x) => …` and `x => …`
  }
  // tsc reads the module's own exported constants through `exports.` (CommonJS); esbuild does not.
  if (IDENT.test(tok) && at(1) === '.' && at(2) === 'exports' && at(3) !== '.') tokens.length -= 2;
  if (tok === '0' && at(1) === 'void') tokens[tokens.length - 1] = 'undefined';
  else if (tok.startsWith('import_') || !TSC_IMPORT.test(tok)) tokens.push(tok);
  else tokens.push(`import_${TSC_IMPORT.exec(tok)![1]}`);
}

function readString(src: string, start: number): [string, number] {
  const quote = src[start];
  let value = '';
  let i = start + 1;
  while (i < src.length && src[i] !== quote) {
    if (src[i] !== '\\') {
      value += src[i++];
      continue;
    }
    const e = src[i + 1] ?? '';
    if (e === 'x') {
      value += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (e === 'u' && src[i + 2] === '{') {
      const close = src.indexOf('}', i);
      value += String.fromCodePoint(parseInt(src.slice(i + 3, close), 16));
      i = close + 1;
    } else if (e === 'u') {
      value += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
      i += 6;
    } else if (e === '\r' || e === '\n' || e === '\u2028' || e === '\u2029') {
      i += e === '\r' && src[i + 2] === '\n' ? 3 : 2; // a line continuation adds nothing
    } else {
      value += ESCAPES[e] ?? e;
      i += 2;
    }
  }
  return [value, i + 1];
}

/**
 * A template literal as tokens: its text parts (non-ASCII escapes decoded, esbuild writes `\xD7`
 * where the source has `×`) and the tokens of each `${ … }` hole. Returns them and the end.
 */
function readTemplate(src: string, start: number): [string[], number] {
  const tokens: string[] = [];
  let part = '`';
  let i = start + 1;
  const decoded = (text: string) =>
    text.replace(/\\(x[0-9A-Fa-f]{2}|u\{[0-9A-Fa-f]+\}|u[0-9A-Fa-f]{4}|[^])/g, (whole, esc: string) => {
      const code = esc.length > 1 ? parseInt(esc.replace(/^[xu]\{?|\}$/g, ''), 16) : 0;
      return code >= 0x80 ? String.fromCodePoint(code) : whole;
    });
  while (i < src.length && src[i] !== '`') {
    if (src[i] === '\\') {
      part += src.slice(i, i + 2);
      i += 2;
    } else if (src.startsWith('${', i)) {
      tokens.push(decoded(`${part}\${`));
      part = '}';
      let depth = 1;
      const hole = i + 2;
      i = hole;
      while (i < src.length && depth > 0) {
        const c = src[i]!;
        if (c === '"' || c === "'") i = readString(src, i)[1];
        else if (c === '`') i = readTemplate(src, i)[1];
        else {
          if (c === '{') depth++;
          else if (c === '}') depth--;
          i++;
        }
      }
      tokens.push(...tokenize(src.slice(hole, i - 1)));
    } else part += src[i++];
  }
  tokens.push(decoded(`${part}\``));
  return [tokens, i + 1];
}

function readRegex(src: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < src.length && (inClass || src[i] !== '/')) {
    if (src[i] === '\\') i++;
    else if (src[i] === '[') inClass = true;
    else if (src[i] === ']') inClass = false;
    i++;
  }
  i++;
  while (i < src.length && /[a-z]/.test(src[i]!)) i++;
  return i;
}

