import type { Request, Response } from 'express';
import { id, type Dictionary, type MessageKey } from './id';
import { en } from './en';
import { roleLabel } from '../../auth/roles';
import { coreLabel, packageLabel, packageText, stateLabel, type LabelledPackage } from './labels';

export type Lang = 'id' | 'en';
export const LANGS: readonly Lang[] = ['id', 'en'];
export const DEFAULT_LANG: Lang = 'id';
export const LANG_COOKIE = 'grms_lang';

const dictionaries: Readonly<Record<Lang, Dictionary>> = { id, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** Where workflow labels are read: the app's registry (deps.engine.registry). */
export interface PackageSource {
  package(name: string): LabelledPackage | undefined;
}

/** A field's label: a workflow's data field with its workflow, a field of the core's own records by name alone. */
export interface FieldLabel {
  (workflow: string, name: string): string;
  (name: string): string;
}

/**
 * The console's words in one language. A workflow's states, events and fields are labelled by its
 * own package, so two workflows may name a state alike and label it differently.
 */
export interface I18n {
  lang: Lang;
  t: Translate;
  /** A workflow state's label ("opd_review" → "Telaah Kepala OPD"), or the name made readable. */
  state(workflow: string, name: string): string;
  /** An event's label in its workflow; the events the engine writes itself (create, comment, escalated) too. */
  event(workflow: string, name: string): string;
  /** A workflow's title ("Usulan RKA"), or its id when no package is loaded for it. */
  workflow(name: string): string;
  /** A data field's label by its property name ("unitPrice" → "Harga satuan"). */
  field: FieldLabel;
  /** A role's label, as the core or the package declaring it gives it. */
  role(name: string): string;
  /** A package's own sentence by key (labels.texts), `{name}` filled in from params. */
  text(workflow: string, key: string, params?: Record<string, string | number>): string;
  /** The label of one choice of an enum field (labels.values), or the value as it is. */
  value(workflow: string, field: string, value: string): string;
  /** A package's text for a refusal's code (texts `problem.<CODE>`), or undefined. */
  problem(workflow: string, code: string): string | undefined;
}

const readable = (name: string) => name.replace(/_/g, ' ');
const readableField = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

export function i18n(lang: Lang, packages: PackageSource): I18n {
  const dict = dictionaries[lang];
  const pkg = (workflow: string) => packages.package(workflow);
  const field = ((workflowOrName: string, name?: string) => (name === undefined
    ? coreLabel(lang, 'fields', workflowOrName) ?? readableField(workflowOrName)
    : packageLabel(pkg(workflowOrName), lang, 'fields', name) ?? readableField(name))) as FieldLabel;
  return {
    lang,
    t: (key, params) => (params ? dict[key].replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : dict[key]),
    state: (workflow, name) => stateLabel(pkg(workflow), lang, name, readable),
    event: (workflow, name) => packageLabel(pkg(workflow), lang, 'events', name) ?? readable(name),
    workflow: (name) => pkg(name)?.title[lang] ?? name,
    role: (name) => roleLabel(name, lang) ?? readable(name),
    field,
    text: (workflow, key, params) => packageText(pkg(workflow), lang, key, params),
    value: (workflow, name, value) => packageLabel(pkg(workflow), lang, 'values', `${name}.${value}`) ?? value,
    problem: (workflow, code) => packageLabel(pkg(workflow), lang, 'texts', `problem.${code}`),
  };
}

const isLang = (v: unknown): v is Lang => typeof v === 'string' && (LANGS as readonly string[]).includes(v);

/**
 * The language of this request: `?lang=` (remembered in a cookie for a year), else the cookie,
 * else Bahasa Indonesia.
 */
export function chooseLang(req: Request, res: Response, cookies: Record<string, string>, secureCookies: boolean): Lang {
  const asked = req.query.lang;
  if (isLang(asked)) {
    res.cookie(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 365 * 86_400_000, secure: secureCookies || req.secure });
    return asked;
  }
  return isLang(cookies[LANG_COOKIE]) ? cookies[LANG_COOKIE] : DEFAULT_LANG;
}
