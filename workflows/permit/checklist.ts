import { GrmsError } from '../../src/errors';
import type { RuleHook } from '../../src/engine/package';

/**
 * The documents each permit type requires (permit v2 on): an application is complete when every
 * item of its type's list has an attachment naming it (`attachments[].document`). The labels are
 * the package's texts (`checklist.<id>` in index.ts), which may change in place; this table is a
 * rule of v2 and part of its fingerprint.
 */
export const CHECKLIST: Readonly<Record<string, readonly string[]>> = {
  PBG: ['identity', 'land_title', 'architecture_drawing', 'structure_drawing'],
  SLF: ['identity', 'building_approval', 'inspection_report'],
  REKLAME: ['identity', 'advertisement_design', 'site_consent'],
};

/** The name v2's "mark complete" step gives its rule (index.ts registers `checklistComplete` under it). */
export const CHECKLIST_RULE = 'checklistComplete';

/** The checklist of an application's type, each item with whether an attachment names it. */
export function checklistOf(data: Record<string, unknown>): Array<{ id: string; done: boolean }> {
  const given = new Set(
    (Array.isArray(data.attachments) ? data.attachments : [])
      .map((a) => (a && typeof a === 'object' ? (a as Record<string, unknown>).document : undefined))
      .filter((d): d is string => typeof d === 'string'),
  );
  return (CHECKLIST[String(data.permitType)] ?? []).map((id) => ({ id, done: given.has(id) }));
}

/** The rule of "mark complete" (v2): refused, naming each missing item, until every one has an attachment. */
export const checklistComplete: RuleHook = async ({ instance }) => {
  const missing = checklistOf(instance.data).filter((i) => !i.done).map((i) => i.id);
  if (missing.length === 0) return;
  throw new GrmsError('CHECKLIST_INCOMPLETE', 422, 'checklist-incomplete', 'Required documents missing',
    `The ${String(instance.data.permitType)} checklist is not complete: no attachment for ${missing.join(', ')}`,
    missing.map((id) => ({ path: '/data/attachments', message: `has no document "${id}"` })));
};
