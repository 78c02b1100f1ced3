import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { WorkflowRegistry } from '../engine/registry';
import { currentReturns, type ReturnMark } from '../engine/submissions';
import { html, type SafeHtml } from './html';
import type { WebContext } from './context';
import { when } from './format';
import { userPositions } from './orgs';

/** Returned instances among `instances`, with who returned them (name and position) ready to show. */
export async function returnsOf(
  db: Kysely<Database>, registry: WorkflowRegistry, instances: ReadonlyArray<{ id: string; workflow: string; workflow_version: number }>,
): Promise<{ marks: Map<string, ReturnMark>; people: Map<string, { name: string; position: string }> }> {
  const marks = await currentReturns(db, registry, instances);
  const people = await userPositions(db, [...marks.values()].flatMap((m) => (m.actingFor ? [m.actor, m.actingFor] : [m.actor])));
  return { marks, people };
}

/** "Dikembalikan oleh Dr. Rina, Kepala Dinas — 3 Desember 2026 10.15 WIB" and the return note. */
export function returnView(ctx: WebContext, mark: ReturnMark, people: ReadonlyMap<string, { name: string; position: string }>, headingLevel?: 'h2'): SafeHtml {
  const person = (u: string) => {
    const p = people.get(u);
    return p ? (p.position ? `${p.name}, ${p.position}` : p.name) : u;
  };
  const who = mark.actingFor ? `${person(mark.actor)} (${ctx.t('returned.actingFor', { name: person(mark.actingFor) })})` : person(mark.actor);
  const line = ctx.t('returned.by', { who, date: when(mark.at, ctx.timezone) });
  const note = html`<p class="returned-label">${ctx.t('returned.note')}</p>
<blockquote class="return-note">${mark.comment}</blockquote>`;
  // On an instance's page and its form: a section of its own; in a list: a part of the row.
  return headingLevel
    ? html`<section class="returned" aria-labelledby="h-returned"><h2 id="h-returned">${line}</h2>${note}</section>`
    : html`<div class="returned"><p class="returned-by"><strong>${line}</strong></p>${note}</div>`;
}
