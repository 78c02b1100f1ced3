/**
 * The columns migrations/0026 added to every source of log leaves (audit_events, people_events,
 * org_events, ceiling_events, documents): the writing transaction's id and the leaf's salt. They
 * are log bookkeeping, not part of the row: no chain hash, no export and no leaf entry includes
 * them. Every place that reads a source table's columns from the catalog leaves them out.
 */
export const LOG_COLUMNS: ReadonlySet<string> = new Set(['log_xid', 'log_salt']);

/** Whether a column of a source table belongs to its hashed row (chain hash, export, leaf entry). */
export function isRowColumn(column: string): boolean {
  return !LOG_COLUMNS.has(column);
}
