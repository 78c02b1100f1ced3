import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/types';
import { ADVISORY, advisoryXactLock } from '../../db/advisory';
import { appendNodes, leafHash } from '../tlog';
import { leafEntry } from './entry';
import { LogError } from './errors';
import { storedNodes } from './nodes';
import { keyOf, LOG_SOURCES, orderColumns, orderValues, readProjections, type LogSource, type Projections } from './sources';

/**
 * The integrator: gives committed source rows contiguous leaf indices after the current tree,
 * stores their leaf hashes and the complete subtrees they finish, and records the integration.
 *
 * Why nothing is skipped or doubled: every row carries the id of the transaction that wrote it
 * (log_xid). An integration reads xmin = pg_snapshot_xmin(pg_current_snapshot()): every
 * transaction with a lower id has ended, so its rows are visible now or never will be. It takes
 * the rows with previous watermark <= log_xid < xmin and makes xmin the new watermark. A row whose
 * transaction is still running has log_xid >= xmin, however low its id, and waits for a later
 * integration. UNIQUE (source, source_key) on log_leaves refuses any row a second time.
 * Transaction ids are cluster-wide: the log lags by as long as the oldest write transaction still
 * running on the PostgreSQL cluster (any database), usually moments.
 *
 * Leaf order: log_xid, then source name, then created_at, then the row's key columns — so one
 * transaction's rows are contiguous, and the same rows always give the same tree. One integrator
 * at a time across processes (a transaction-scoped advisory lock); a second one waits and then
 * continues from where the first left off.
 */
export interface Integration {
  previousSize: number;
  size: number;
  /** Leaves added by this integration. */
  added: number;
  /** Every source row with log_xid below this (xid8, decimal) is now a leaf. */
  watermark: string;
}

/** Rows per page read from one source, and leaves hashed, stored and noded at once. */
const PAGE_ROWS = 1000;

type SourceRow = Record<string, unknown> & { _log_xid: string; _log_salt: string };

/** One source's rows in the xid range, in leaf order, a page at a time (keyset on the order columns). */
class SourceCursor {
  private rows: SourceRow[] = [];
  private at = 0;
  private done = false;

  constructor(
    private readonly trx: Transaction<Database>,
    readonly source: LogSource,
    private readonly projection: Projections[LogSource],
    private readonly from: string,
    private readonly to: string,
  ) {}

  async peek(): Promise<SourceRow | undefined> {
    if (this.at < this.rows.length) return this.rows[this.at];
    if (this.done) return undefined;
    const last = this.rows[this.rows.length - 1];
    const after = last ? sql`AND (${orderColumns(this.source)}) > (${orderValues(this.source, last)})` : sql``;
    const page = await sql<SourceRow>`
      SELECT s.log_xid::text AS _log_xid, s.log_salt AS _log_salt, ${this.projection}
      FROM ${sql.table(this.source)} AS s
      WHERE s.log_xid >= ${this.from}::xid8 AND s.log_xid < ${this.to}::xid8 ${after}
      ORDER BY ${orderColumns(this.source)}
      LIMIT ${PAGE_ROWS}`.execute(this.trx);
    this.rows = page.rows;
    this.at = 0;
    if (page.rows.length < PAGE_ROWS) this.done = true;
    return this.rows[0];
  }

  take(): SourceRow {
    return this.rows[this.at++]!;
  }
}

/** Integrates every committed row not yet in the log; see the comment at the top of this module. */
export async function integrateLog(db: Kysely<Database>): Promise<Integration> {
  // READ COMMITTED: after the lock, each statement sees what the previous integrator committed.
  return db.transaction().setIsolationLevel('read committed').execute(async (trx) => {
    await advisoryXactLock(trx, ADVISORY.logIntegrate);
    const last = await trx.selectFrom('log_integrations').select(['size', sql<string>`watermark::text`.as('watermark')])
      .orderBy('size', 'desc').limit(1).executeTakeFirst();
    const previousSize = last ? Number(last.size) : 0;
    const from = last?.watermark ?? '0';
    await checkLeaves(trx, previousSize);
    const xmin = (await sql<{ xmin: string }>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`.execute(trx)).rows[0]!.xmin;
    if (BigInt(xmin) <= BigInt(from)) return { previousSize, size: previousSize, added: 0, watermark: from };

    const projections = await readProjections(trx);
    const cursors = LOG_SOURCES.map((s) => new SourceCursor(trx, s, projections[s], from, xmin));
    const fetch = storedNodes(trx);
    let size = previousSize;
    for (;;) {
      const batch: Array<{ source: LogSource; key: string; hash: Buffer }> = [];
      while (batch.length < PAGE_ROWS) {
        const next = await nextInOrder(cursors);
        if (!next) break;
        const { _log_xid: _xid, _log_salt: salt, ...row } = next.take();
        const key = keyOf(next.source, row);
        batch.push({ source: next.source, key, hash: leafHash(leafEntry(next.source, key, salt, row)) });
      }
      if (batch.length === 0) break;
      const nodes = await appendNodes(size, batch.map((b) => b.hash), fetch);
      await trx.insertInto('log_leaves')
        .values(batch.map((b, i) => ({ idx: size + i, source: b.source, source_key: b.key, leaf_hash: b.hash })))
        .execute();
      for (let i = 0; i < nodes.length; i += PAGE_ROWS) {
        await trx.insertInto('log_nodes')
          .values(nodes.slice(i, i + PAGE_ROWS).map((n) => ({ level: n.level, idx: n.index, hash: n.hash })))
          .execute();
      }
      size += batch.length;
    }
    if (size === previousSize) return { previousSize, size, added: 0, watermark: from };
    await trx.insertInto('log_integrations').values({ size, previous_size: previousSize, from_xid: from, watermark: xmin }).execute();
    return { previousSize, size, added: size - previousSize, watermark: xmin };
  });
}

/** The cursor whose next row comes first in leaf order: lowest log_xid, then source name (LOG_SOURCES is sorted). */
async function nextInOrder(cursors: SourceCursor[]): Promise<SourceCursor | undefined> {
  let best: { cursor: SourceCursor; xid: bigint } | undefined;
  for (const cursor of cursors) {
    const row = await cursor.peek();
    if (!row) continue;
    const xid = BigInt(row._log_xid);
    if (!best || xid < best.xid) best = { cursor, xid };
  }
  return best?.cursor;
}

/** The leaves must be exactly 0..size-1 as the last integration left them; anything else was removed or added by hand. */
async function checkLeaves(trx: Transaction<Database>, size: number): Promise<void> {
  const r = (await sql<{ top: number | null }>`SELECT max(idx) AS top FROM log_leaves`.execute(trx)).rows[0]!;
  const top = r.top === null ? -1 : Number(r.top);
  if (top !== size - 1) {
    throw new LogError('LOG_TREE_DAMAGED', `the last integration left ${size} leaves, but the highest leaf index stored is ${top}: leaves or integrations were removed`);
  }
}
