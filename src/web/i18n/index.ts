import type { Request, Response } from 'express';
import { id, type Dictionary, type MessageKey } from './id';
import { en } from './en';
import { eventLabels, fieldLabels, roleLabels, stateLabels, workflowLabels } from './labels';

export type Lang = 'id' | 'en';
export const LANGS: readonly Lang[] = ['id', 'en'];
export const DEFAULT_LANG: Lang = 'id';
export const LANG_COOKIE = 'grms_lang';

const dictionaries: Readonly<Record<Lang, Dictionary>> = { id, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export interface I18n {
  lang: Lang;
  t: Translate;
  /** A workflow state's label ("opd_review" → "Telaah Kepala OPD"), or the name made readable. */
  state(name: string): string;
  event(name: string): string;
  workflow(name: string): string;
  /** A data field's label by its property name ("unitPrice" → "Harga satuan"). */
  field(name: string): string;
  role(name: string): string;
}

const readable = (name: string) => name.replace(/_/g, ' ');

export function i18n(lang: Lang): I18n {
  const dict = dictionaries[lang];
  return {
    lang,
    t: (key, params) => (params ? dict[key].replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : dict[key]),
    state: (name) => stateLabels[lang][name] ?? readable(name),
    event: (name) => eventLabels[lang][name] ?? readable(name),
    workflow: (name) => workflowLabels[lang][name] ?? name,
    role: (name) => roleLabels[lang][name] ?? readable(name),
    field: (name) => fieldLabels[lang][name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase(),
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
