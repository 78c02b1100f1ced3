import type { PackageLabels, WorkflowPackage } from '../../engine/package';
import { COMMENT_EVENT } from '../../engine/comment-rules';
import { ESCALATED_EVENT } from '../../sla/scheduler';
import type { Lang } from './index';

/**
 * Where labels come from: a workflow's own (states, events, fields, texts) from its package, so a
 * state called `approved` in two workflows reads as each of them names it; the core's own events
 * and records from the tables below. A name nobody labels is shown by its name made readable (each
 * caller's fallback), so a new workflow works before it is translated.
 */
export type LabelledPackage = Pick<WorkflowPackage, 'title' | 'labels'>;

/** Events the engine itself writes into every workflow's history: not any workflow's own. */
const coreEventLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: { create: 'Dibuat', [ESCALATED_EVENT]: 'Melewati batas waktu', [COMMENT_EVENT]: 'Catatan' },
  en: { create: 'Created', [ESCALATED_EVENT]: 'Deadline missed', [COMMENT_EVENT]: 'Comment' },
};

/** Fields of the core's tracking records (a registration's number, date and PIN), not of a workflow's data. */
const coreFieldLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: { registrationNumber: 'Nomor registrasi', registeredAt: 'Terdaftar', pin: 'PIN (simpan, tidak ditampilkan lagi)' },
  en: { registrationNumber: 'Registration number', registeredAt: 'Registered', pin: 'PIN (keep it, it is not shown again)' },
};

/** A table's entry, never one of Object's own members ("constructor" is a name like any other). */
const entry = (table: Readonly<Record<string, string>> | undefined, name: string): string | undefined =>
  table && Object.hasOwn(table, name) ? table[name] : undefined;

/**
 * A workflow's label of `name` in `lang`, or undefined when it has none: states, events and fields
 * from its package; events and fields the core writes itself from the core's tables.
 */
export function packageLabel(pkg: LabelledPackage | undefined, lang: Lang, kind: keyof PackageLabels, name: string): string | undefined {
  return entry(pkg?.labels[lang]?.[kind], name)
    ?? (kind === 'events' ? entry(coreEventLabels[lang], name) : kind === 'fields' ? entry(coreFieldLabels[lang], name) : undefined);
}

/** A label of the core's alone (an event it writes, a field of its records), or undefined. */
export function coreLabel(lang: Lang, kind: 'events' | 'fields', name: string): string | undefined {
  return entry((kind === 'events' ? coreEventLabels : coreFieldLabels)[lang], name);
}

/**
 * A state's label; a nested state (`payment.spp`) without a label of its own as its parts' labels,
 * "Pembayaran — SPP". `readable` makes a name without a label presentable.
 */
export function stateLabel(pkg: LabelledPackage | undefined, lang: Lang, name: string, readable: (name: string) => string): string {
  const own = packageLabel(pkg, lang, 'states', name);
  if (own !== undefined) return own;
  return name.includes('.') ? name.split('.').map((part) => packageLabel(pkg, lang, 'states', part) ?? readable(part)).join(' — ') : readable(name);
}

/** A package's own text with `{name}` filled in from `params`; the key itself when the package has none. */
export function packageText(pkg: LabelledPackage | undefined, lang: Lang, key: string, params?: Record<string, string | number>): string {
  const text = packageLabel(pkg, lang, 'texts', key) ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, k: string) => (Object.hasOwn(params, k) ? String(params[k]) : m)) : text;
}
