/**
 * The English-word test's denylist: what must never reach a page in Bahasa Indonesia.
 * - every word of an `en.ts` string that differs from its `id.ts` counterpart, and of a package's
 *   English labels and texts that differ from its Indonesian ones (titles, roles too);
 * - every word of the API's problem titles and details and of its field messages, read from the
 *   source through the TypeScript AST (calls to GrmsError and its factories, `message:` properties);
 * - every registry id (workflow, state, event, role) the loaded registry declares, matched as
 *   written (ids are lower-case snake case);
 * - developer words (hash, checkpoint, UUID, npx, JSONL, instance).
 * Words both languages use are allowed explicitly in SHARED below, each with its reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { id } from '../../src/web/i18n/id';
import { en } from '../../src/web/i18n/en';
import { CORE_ROLES, allRoles, roleLabel } from '../../src/auth/roles';
import type { WorkflowRegistry } from '../../src/engine/registry';
import { stepsOf } from '../../src/engine/steps';

const ROOT = path.resolve(__dirname, '..', '..');

export const DEVELOPER_WORDS = ['hash', 'checkpoint', 'uuid', 'npx', 'jsonl', 'instance'];

/**
 * Words an Indonesian page may show although an English text (or a registry id) also has them:
 * Indonesian words, loan words in ordinary Indonesian use, names, abbreviations and units.
 */
export const SHARED: ReadonlyMap<string, string> = new Map([
  // Indonesian words (or loan words in KBBI) that English texts also use.
  ['status', 'KBBI: status'], ['total', 'KBBI: total'], ['data', 'KBBI: data'], ['email', 'KBBI: surel/email in office use'],
  ['format', 'KBBI: format'], ['target', 'KBBI: target'], ['volume', 'KBBI: volume'], ['audit', 'KBBI: audit'],
  ['admin', 'KBBI: admin'], ['termin', 'KBBI: termin (payment instalment)'], ['menu', 'KBBI: menu'], ['media', 'KBBI: media'],
  ['opsional', 'KBBI'], ['kode', 'KBBI'], ['dokumen', 'KBBI'], ['sub', 'sub kegiatan (the budget classification)'],
  ['kegiatan', 'sub kegiatan'], ['pagu', 'the budget ceiling\'s own word'], ['bendahara', 'Indonesian for treasurer (also a role id)'],
  ['web', 'situs web'], ['login', 'not used; kept out'], ['online', 'KBBI: daring; kept out'], ['internet', 'KBBI: internet'],
  ['server', 'KBBI: server'], ['logo', 'KBBI: logo'], ['file', 'not used; kept out'], ['id', 'ID: identifier in both languages'],
  ['no', 'No.: nomor'], ['nomor', 'KBBI'], ['plt', 'Pelaksana Tugas'], ['plh', 'Pelaksana Harian'], ['cuti', 'Indonesian for leave'],
  ['persen', 'KBBI'], ['rupiah', 'the currency'], ['rp', 'rupiah'], ['tahun', 'KBBI'], ['kontrak', 'KBBI'], ['sah', 'KBBI'],
  ['filter', 'KBBI: filter'], ['normal', 'KBBI'], ['unit', 'KBBI: unit'], ['detail', 'KBBI: detail'], ['global', 'KBBI'],
  ['publik', 'KBBI'], ['final', 'KBBI'], ['tim', 'KBBI'], ['proposal', 'KBBI: proposal'], ['dashboard', 'not used; kept out'],
  // Abbreviations, names and standards written alike in both languages.
  ['opd', 'Organisasi Perangkat Daerah'], ['pin', 'PIN'], ['nik', 'Nomor Induk Kependudukan'], ['nib', 'Nomor Induk Berusaha'],
  ['npwp', 'tax number'], ['nip', 'civil servant number'], ['rka', 'budget'], ['dpa', 'budget'], ['tapd', 'budget team'],
  ['ppkd', 'finance officer'], ['bappeda', 'planning agency'], ['bast', 'handover record'], ['fho', 'final handover'],
  ['spp', 'payment request'], ['spm', 'payment order'], ['sp2d', 'disbursement order'], ['spmk', 'notice to proceed'],
  ['ppk', 'commitment officer (also a role id)'], ['bud', 'Bendahara Umum Daerah (also a role id)'], ['pbg', 'building permit'],
  ['slf', 'building function certificate'], ['dak', 'funding source'], ['dau', 'funding source'], ['pad', 'funding source'],
  ['grms', 'the system\'s name'], ['pdf', 'file type'], ['csv', 'file type'], ['json', 'file type'], ['xlsx', 'file type'],
  ['png', 'file type'], ['jpeg', 'file type'], ['sha', 'SHA-256 (a standard\'s name)'], ['pades', 'PAdES (a standard\'s name)'],
  ['qr', 'QR code'], ['ocds', 'Open Contracting Data Standard'], ['utc', 'time zone'], ['wib', 'time zone'], ['wita', 'time zone'],
  ['wit', 'time zone'], ['mb', 'megabyte'], ['kb', 'kilobyte'], ['ok', 'not used; kept out'], ['ktp', 'identity card'],
  ['dpmptsp', 'permit office'], ['pupr', 'public works office'], ['dinkes', 'health office'], ['bpkad', 'finance office'],
  ['lkpp', 'procurement agency'], ['bb', 'PAdES B-B'], ['lt', 'PAdES B-LT'], ['zwj', 'character name'], ['zwnj', 'character name'],
  ['tt', 'TTTT-BB-HH date pattern'], ['hh', 'date pattern'],
  ['skrd', 'Surat Ketetapan Retribusi Daerah (the fee assessment)'], ['bank', 'KBBI: bank'],
  ['diagram', 'KBBI'], ['per', 'KBBI: per (each)'], ['operator', 'KBBI'], ['administrator', 'KBBI'], ['token', 'KBBI: token'],
  ['api', 'API (an abbreviation the console names for tokens)'], ['log', 'KBBI: log (catatan); the public log'],
  ['di', 'Indonesian quoted in an API detail'], ['belum', 'Indonesian quoted in an API detail'], ['tercatat', 'Indonesian quoted in an API detail'],
  ['auditor', 'KBBI: auditor (also the core role id)'], ['m²', 'square metres'], ['readme', 'the README file'],
  ['english', 'the language switch names the language in itself'], ['bahasa', 'Bahasa Indonesia'], ['indonesia', 'Bahasa Indonesia'],
]);

/** Words of a text: a letter then letters, digits or `_` ("SP2D"), with dots inside a name ("ppk.pupr") kept. */
export function wordsOf(text: string): string[] {
  return [...text.matchAll(/[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*/gu)].map((m) => m[0]).filter((w) => w.replace(/_/g, '').length > 1);
}

const withoutParams = (s: string) => s.replace(/\{\w+\}/g, ' ');

export interface Denylist {
  /** English words, lower case, with where each came from. */
  english: Map<string, string>;
  /** Registry ids as written, with what each is. */
  ids: Map<string, string>;
}

function addWords(into: Map<string, string>, text: string, from: string): void {
  for (const w of wordsOf(withoutParams(text))) {
    for (const part of w.split('.')) {
      const word = part.toLowerCase();
      if (!SHARED.has(word) && !into.has(word)) into.set(word, from);
    }
  }
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Names of functions that build a problem: the exports of the errors modules (arrow functions returning a GrmsError). */
function problemFactories(files: string[]): Set<string> {
  const names = new Set(['GrmsError']);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes('GrmsError')) continue;
    for (const m of text.matchAll(/export const (\w+) =[^;]*?(?:new GrmsError|procurement\()/gs)) names.add(m[1]!);
    for (const m of text.matchAll(/export class (\w+) extends GrmsError/g)) names.add(m[1]!);
  }
  return names;
}

/** The API's English problem texts: titles, details and field messages, as the source writes them. */
export function problemTexts(): string[] {
  const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'workflows'))]
    .filter((f) => !f.includes(`${path.sep}src${path.sep}web${path.sep}`) && !f.includes(`${path.sep}src${path.sep}cli`));
  const factories = problemFactories(files);
  const out: string[] = [];
  const literalText = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node)) out.push(node.head.text, ...node.templateSpans.map((s) => s.literal.text));
    ts.forEachChild(node, literalText);
  };
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const callee = ts.isCallExpression(node) || ts.isNewExpression(node) ? node.expression : undefined;
      if (callee && ts.isIdentifier(callee) && factories.has(callee.text)) {
        // The code (an upper-case constant) and the slug (a URI part) are no sentence; the rest is.
        for (const arg of (node as ts.CallExpression).arguments ?? []) {
          if ((ts.isStringLiteral(arg)) && (/^[A-Z_]+$/.test(arg.text) || /^[a-z0-9-]+$/.test(arg.text))) continue;
          literalText(arg);
        }
      }
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'message'
        && (ts.isStringLiteral(node.initializer) || ts.isTemplateExpression(node.initializer) || ts.isNoSubstitutionTemplateLiteral(node.initializer))) {
        literalText(node.initializer);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

export function denylist(registry: WorkflowRegistry): Denylist {
  const english = new Map<string, string>();
  for (const w of DEVELOPER_WORDS) english.set(w, 'developer word');
  for (const [key, text] of Object.entries(en)) {
    if (text !== id[key as keyof typeof id]) addWords(english, text, `en.ts ${key}`);
  }
  for (const role of allRoles()) {
    const [i, e] = [roleLabel(role, 'id'), roleLabel(role, 'en')];
    if (e && e !== i) addWords(english, e, `role label ${role}`);
  }
  for (const pkg of registry.packages) {
    if (pkg.title.en !== pkg.title.id) addWords(english, pkg.title.en, `title of ${pkg.name}`);
    for (const kind of ['states', 'events', 'fields', 'texts'] as const) {
      for (const [name, text] of Object.entries(pkg.labels.en?.[kind] ?? {})) {
        if (text !== pkg.labels.id?.[kind]?.[name]) addWords(english, text, `${pkg.name} ${kind}.${name}`);
      }
    }
  }
  for (const text of problemTexts()) addWords(english, text, 'API problem text');
  return { english, ids: registryIds(registry) };
}

/** Every workflow, state, event and role id of the loaded registry (the core's roles too). */
export function registryIds(registry: WorkflowRegistry): Map<string, string> {
  const ids = new Map<string, string>();
  const add = (name: string, what: string) => {
    if (!SHARED.has(name.toLowerCase()) && !ids.has(name)) ids.set(name, what);
  };
  for (const role of Object.keys(CORE_ROLES)) add(role, 'core role');
  for (const pkg of registry.packages) {
    add(pkg.name, 'workflow');
    for (const role of Object.keys(pkg.roles)) add(role, `role of ${pkg.name}`);
    for (const { definition } of pkg.versions) {
      for (const [state, events] of Object.entries(stepsOf(definition.machine))) {
        add(state, `state of ${pkg.name}`);
        for (const part of state.split('.')) add(part, `state of ${pkg.name}`);
        for (const event of Object.keys(events)) add(event, `event of ${pkg.name}`);
      }
    }
  }
  return ids;
}

/**
 * What a person sees of an HTML page: text outside tags (scripts, styles and the row template
 * excepted) and the attributes read aloud or shown (aria-label, placeholder, alt, title); never
 * an href or a value sent with a form. Web addresses, UUIDs and hex strings (SHA-256) are dropped.
 */
export function visibleText(html: string): string {
  const said = [...html.matchAll(/\s(?:aria-label|placeholder|alt|title)="([^"]*)"/g)].map((m) => m[1]!);
  const text = html
    .replace(/<script[\s\S]*?<\/script>/gi, ' ')
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<template>[\s\S]*?<\/template>/gi, ' ')
    .replace(/<[^>]*>/g, ' ');
  return [text, ...said].join(' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&amp;/g, '&')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, ' ')
    .replace(/\b[0-9a-f]{16,}\b/gi, ' ');
}

/** The denylisted words in `text`, each with where the denylist took it from. */
export function englishIn(text: string, list: Denylist): string[] {
  const found = new Set<string>();
  for (const word of wordsOf(withoutParams(text))) {
    if (list.ids.has(word)) found.add(`${word} (${list.ids.get(word)})`);
    for (const part of word.split('.').filter((p) => p.length > 1)) {
      if (part !== word && list.ids.has(part) && !/\./.test(word)) found.add(`${part} (${list.ids.get(part)})`);
      const lower = part.toLowerCase();
      // A user name ("ppk.pupr") is a name, not words; its parts are not looked up.
      if (word.includes('.') && word === word.toLowerCase()) continue;
      if (list.english.has(lower)) found.add(`${part} (${list.english.get(lower)})`);
    }
  }
  return [...found];
}
