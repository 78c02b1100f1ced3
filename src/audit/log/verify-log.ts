import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { instanceDigest, type DigestedInstance } from '../instance-digest';
import { EMPTY_TREE_HASH, leafHash, nodeHash, parseCheckpointBody, parseNote, verifyCheckpoint, type Policy } from '../tlog';
import { cosignedCheckpoint } from './checkpoint';
import { leafEntry } from './entry';
import { asBuffer, logRoot } from './nodes';
import { keyOf, LOG_SOURCES, orderColumns, orderValues, readProjections, type LogSource } from './sources';

/**
 * Verifies the transparency log against keys the verifier pins (a policy), and the live tables
 * against the log: every source row is the leaf it was, every leaf still has its row, every stored
 * checkpoint is signed by the pinned log key and is a prefix of the leaves, the latest carries the
 * witness quorum, every checkpoint known from elsewhere (an earlier bundle, export or a witness) is
 * a prefix of these leaves, and every instance is what its last audit row says it became.
 */
export type LogProblemKind =
  | 'leaf-sequence' | 'row-altered' | 'row-missing' | 'row-not-in-log' | 'checkpoint-forged' | 'checkpoint-mismatch'
  | 'log-rolled-back' | 'no-checkpoint' | 'quorum' | 'nodes-damaged' | 'known-checkpoint-invalid' | 'instance-changed'
  | 'instance-without-history' | 'history-without-instance';

export interface LogProblem {
  kind: LogProblemKind;
  detail: string;
}

export interface KnownCheckpoint {
  /** Where it came from: a file name, a witness. */
  from: string;
  /** A checkpoint note (cosignatures may follow the log's signature). */
  note: string;
}

export interface LogVerification {
  ok: boolean;
  leaves: number;
  rows: number;
  /** Rows newer than the last integration: not in the log yet. */
  pending: number;
  checkpoints: number;
  latest: { size: number; origin: string; cosigners: string[]; quorumMet: boolean } | null;
  known: Array<{ from: string; size: number; ok: boolean }>;
  instances: number;
  problems: LogProblem[];
  /** Problems beyond the first MAX_PROBLEMS are counted, not listed. */
  moreProblems: number;
}

export interface VerifyLogOptions {
  known?: KnownCheckpoint[];
  /** Fail when leaves exist but no checkpoint does (default true). */
  requireCheckpoint?: boolean;
  onProgress?: (rows: number) => void;
}

const MAX_PROBLEMS = 200;
const PAGE = 2000;

/** Roots of every prefix the caller asks for, computed in one pass over the leaves (a compact range). */
class PrefixRoots {
  private readonly stack: Array<{ level: number; hash: Buffer }> = [];
  size = 0;

  push(leaf: Buffer): void {
    let node = { level: 0, hash: leaf };
    while (this.stack.length && this.stack[this.stack.length - 1]!.level === node.level) {
      const left = this.stack.pop()!;
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  /** RFC 9162 MTH of the leaves pushed so far: the complete subtrees folded right to left. */
  root(): Buffer {
    if (this.stack.length === 0) return Buffer.from(EMPTY_TREE_HASH);
    let r = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i]!.hash, r);
    return r;
  }
}

export async function verifyTransparencyLog(db: Kysely<Database>, policy: Policy, opts: VerifyLogOptions = {}): Promise<LogVerification> {
  const problems: LogProblem[] = [];
  let moreProblems = 0;
  const problem = (kind: LogProblemKind, detail: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ kind, detail });
    else moreProblems++;
  };

  // 1. The leaves, in order.
  const leaves: Buffer[] = [];
  const leafOf = new Map<string, number>();
  for (let from = 0; ; from += PAGE) {
    const page = await db.selectFrom('log_leaves').select(['idx', 'source', 'source_key', 'leaf_hash'])
      .where('idx', '>=', from).where('idx', '<', from + PAGE).orderBy('idx').execute();
    for (const r of page) {
      const idx = Number(r.idx);
      if (idx !== leaves.length) {
        problem('leaf-sequence', `leaf ${leaves.length} is missing (next stored leaf is ${idx}): leaves were removed`);
        break;
      }
      leaves.push(asBuffer(r.leaf_hash));
      leafOf.set(`${r.source}\u0000${r.source_key}`, idx);
    }
    if (page.length < PAGE || problems.some((p) => p.kind === 'leaf-sequence')) break;
  }

  // 2. Every source row against its leaf.
  const watermark = (await db.selectFrom('log_integrations').select(sql<string>`watermark::text`.as('w')).orderBy('size', 'desc').limit(1).executeTakeFirst())?.w;
  const projections = await readProjections(db);
  const seen = new Set<number>();
  let rows = 0;
  let pending = 0;
  for (const source of LOG_SOURCES) {
    let last: Record<string, unknown> | undefined;
    for (;;) {
      const after = last ? sql`WHERE (${orderColumns(source)}) > (${orderValues(source, last)})` : sql``;
      const page = await sql<Record<string, unknown> & { _log_xid: string; _log_salt: string; _integrated: boolean }>`
        SELECT s.log_xid::text AS _log_xid, s.log_salt AS _log_salt,
               ${watermark === undefined ? sql`false` : sql`s.log_xid < ${watermark}::xid8`} AS _integrated, ${projections[source]}
        FROM ${sql.table(source)} AS s ${after} ORDER BY ${orderColumns(source)} LIMIT ${PAGE}`.execute(db);
      for (const r of page.rows) {
        rows++;
        const { _log_xid: _xid, _log_salt: salt, _integrated: integrated, ...row } = r;
        const key = keyOf(source as LogSource, row);
        const idx = leafOf.get(`${source}\u0000${key}`);
        if (idx === undefined) {
          if (integrated) problem('row-not-in-log', `${source} ${key} is older than the last integration but is no leaf of the log`);
          else pending++;
          continue;
        }
        seen.add(idx);
        if (!leafHash(leafEntry(source, key, salt, row)).equals(leaves[idx]!)) {
          problem('row-altered', `${source} ${key} is not the row its leaf ${idx} committed to: the row was changed after it was logged`);
        }
      }
      opts.onProgress?.(rows);
      if (page.rows.length < PAGE) break;
      last = page.rows[page.rows.length - 1];
    }
  }
  if (seen.size !== leaves.length) {
    const missing = await db.selectFrom('log_leaves').select(['idx', 'source', 'source_key']).orderBy('idx').execute();
    for (const m of missing) if (!seen.has(Number(m.idx)) && Number(m.idx) < leaves.length) problem('row-missing', `leaf ${m.idx} (${m.source} ${m.source_key}) has no row: the row was deleted`);
  }

  // 3. Checkpoints: signed by the pinned key, each a prefix of these leaves.
  const stored = await db.selectFrom('log_checkpoints').select(['size', 'root', 'note']).orderBy('size').execute();
  const known = opts.known ?? [];
  const wanted: Array<{ size: number; root: Buffer; label: string; kind: 'stored' | 'known' }> = [];
  for (const cp of stored) {
    const size = Number(cp.size);
    try {
      const v = verifyCheckpoint(cp.note, policy);
      if (v.body.size !== size || !v.body.root.equals(asBuffer(cp.root))) throw new Error('its row does not match its signed note');
      wanted.push({ size, root: v.body.root, label: `stored checkpoint of ${size} leaves`, kind: 'stored' });
    } catch (err) {
      problem('checkpoint-forged', `the stored checkpoint of ${size} leaves is not signed by the pinned log key (${(err as Error).message})`);
    }
  }
  const knownOut: LogVerification['known'] = [];
  for (const k of known) {
    try {
      const v = verifyCheckpoint(k.note, policy);
      wanted.push({ size: v.body.size, root: v.body.root, label: `the checkpoint of ${v.body.size} leaves from ${k.from}`, kind: 'known' });
      knownOut.push({ from: k.from, size: v.body.size, ok: true });
    } catch (err) {
      problem('known-checkpoint-invalid', `the checkpoint from ${k.from} is not signed by the pinned log key (${(err as Error).message})`);
      knownOut.push({ from: k.from, size: Number.NaN, ok: false });
    }
  }
  wanted.sort((a, b) => a.size - b.size);
  const top = stored.length ? Number(stored[stored.length - 1]!.size) : 0;
  let rootAtTop: Buffer | undefined;
  const prefix = new PrefixRoots();
  let next = 0;
  const check = () => {
    if (prefix.size === top) rootAtTop = prefix.root();
    while (next < wanted.length && wanted[next]!.size === prefix.size) {
      const w = wanted[next++]!;
      if (!prefix.root().equals(w.root)) {
        problem('checkpoint-mismatch', `${w.label} does not match the first ${w.size} leaves of this database: the history was rewritten`);
        const entry = knownOut.find((k) => k.size === w.size);
        if (w.kind === 'known' && entry) entry.ok = false;
      }
    }
  };
  check();
  for (const leaf of leaves) {
    prefix.push(leaf);
    check();
  }
  for (; next < wanted.length; next++) {
    const w = wanted[next]!;
    problem('log-rolled-back', `${w.label} was issued, but this database holds only ${leaves.length} leaves: the log was rolled back or emptied`);
    const entry = knownOut.find((k) => k.size === w.size);
    if (w.kind === 'known' && entry) entry.ok = false;
  }

  // The stored nodes (what proofs are served from) must give the same root as the leaves.
  if (top > 0 && rootAtTop) {
    try {
      if (!(await logRoot(db, top)).equals(rootAtTop)) problem('nodes-damaged', `the stored tree nodes give another root for ${top} leaves than the leaves do`);
    } catch (err) {
      problem('nodes-damaged', (err as Error).message);
    }
  }

  let latest: LogVerification['latest'] = null;
  if (stored.length === 0) {
    if (leaves.length > 0 && opts.requireCheckpoint !== false) problem('no-checkpoint', `the log holds ${leaves.length} leaves but no checkpoint: checkpoints were removed, or none was ever signed`);
  } else {
    const withCosignatures = await cosignedCheckpoint(db);
    try {
      const v = verifyCheckpoint(withCosignatures!.note, policy);
      latest = { size: v.body.size, origin: v.body.origin, cosigners: v.cosigners, quorumMet: v.quorumMet };
      if (!v.quorumMet) problem('quorum', `the latest checkpoint (${v.body.size} leaves) lacks the witness quorum of the policy (cosigned by ${v.cosigners.join(', ') || 'none of its witnesses'})`);
    } catch {
      // Already reported as checkpoint-forged above.
    }
  }

  // 4. Each instance is what its last audit row says it became.
  const heads = await sql<{ instance_id: string; to_state: string; instance_version: number | null; instance_org: string | null; instance_digest: string | null }>`
    SELECT DISTINCT ON (instance_id) instance_id::text, to_state, instance_version, instance_org, instance_digest
    FROM audit_events ORDER BY instance_id, seq DESC`.execute(db);
  const headOf = new Map(heads.rows.map((h) => [h.instance_id, h]));
  let instances = 0;
  let lastId: string | undefined;
  for (;;) {
    let q = db.selectFrom('workflow_instances')
      .select(['id', 'workflow', 'workflow_version', 'state', 'version', 'org_id', 'title', 'fiscal_year', 'total', 'data', 'snapshot', 'submitters', 'step_hands', 'created_by'])
      .orderBy('id').limit(PAGE);
    if (lastId) q = q.where('id', '>', lastId);
    const page = await q.execute();
    for (const inst of page) {
      instances++;
      const head = headOf.get(inst.id);
      headOf.delete(inst.id);
      if (!head) {
        problem('instance-without-history', `instance ${inst.id} has no audit row`);
        continue;
      }
      const changed: string[] = [];
      if (head.to_state !== inst.state) changed.push(`state ${inst.state} (history: ${head.to_state})`);
      if (head.instance_version !== null && head.instance_version !== inst.version) changed.push(`version ${inst.version} (history: ${head.instance_version})`);
      if (head.instance_org !== null && head.instance_org !== inst.org_id) changed.push(`OPD ${inst.org_id} (history: ${head.instance_org})`);
      if (head.instance_digest !== null && head.instance_digest !== instanceDigest(inst as DigestedInstance)) changed.push('its data, total, title or submitters');
      if (changed.length) problem('instance-changed', `instance ${inst.id} differs from its last audit row: ${changed.join('; ')}`);
    }
    if (page.length < PAGE) break;
    lastId = page[page.length - 1]!.id;
  }
  for (const id of headOf.keys()) problem('history-without-instance', `audit rows of instance ${id} remain but the instance is gone`);

  return {
    ok: problems.length === 0 && moreProblems === 0,
    leaves: leaves.length,
    rows,
    pending,
    checkpoints: stored.length,
    latest,
    known: knownOut,
    instances,
    problems,
    moreProblems,
  };
}

/**
 * The checkpoint note inside what an auditor kept: a checkpoint note itself, a C2SP tlog-proof, an
 * evidence bundle (JSON with a `proof`), or an audit export holding a log checkpoint.
 */
export function checkpointFromFile(text: string): string {
  const t = text.replace(/^\uFEFF/, '');
  if (t.startsWith('c2sp.org/tlog-proof@v1\n')) return t.slice(t.indexOf('\n\n') + 2);
  if (t.trimStart().startsWith('{')) {
    const j = JSON.parse(t) as { proof?: unknown; checkpoint?: unknown };
    if (typeof j.proof === 'string') return checkpointFromFile(j.proof);
    if (typeof j.checkpoint === 'string') return j.checkpoint;
  }
  // A bare note: it must parse as one.
  const note = parseNote(t);
  parseCheckpointBody(note.text);
  return t;
}
