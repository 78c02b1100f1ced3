/**
 * SQL that appends row `seq` of a valid audit chain to every generated (ratified) proposal at once.
 * The row hash is computed the way src/audit/hash.ts does — SHA-256 of the RFC 8785 (JCS) form of
 * the non-null columns except `hash` — with the JSON text built by concatenation: every key is a
 * fixed ASCII column name (written in JCS order below) and every value is ASCII without quotes,
 * backslashes or control characters, so no escaping is needed. prev_hash comes from row seq-1,
 * written by the previous statement. Columns added by later migrations stay NULL and are not
 * hashed (the application omits null columns too).
 */

interface StepRow {
  event: string;
  from: string | null;
  to: string;
  /** 'planner' and 'kadis' are per OPD; others are usernames. */
  actor: string;
  role: string;
  comment: string | null;
}

/** The eight transitions of a proposal that was returned once and then ratified. */
export const CHAIN: readonly StepRow[] = [
  { event: 'create', from: null, to: 'draft', actor: 'planner', role: 'planner', comment: null },
  { event: 'submit', from: 'draft', to: 'opd_review', actor: 'planner', role: 'planner', comment: null },
  { event: 'return', from: 'opd_review', to: 'draft', actor: 'kadis', role: 'opd_head', comment: 'Mohon lengkapi rincian volume dan satuan pada baris kedua.' },
  { event: 'submit', from: 'draft', to: 'opd_review', actor: 'planner', role: 'planner', comment: null },
  { event: 'approve', from: 'opd_review', to: 'bappeda_verification', actor: 'kadis', role: 'opd_head', comment: null },
  { event: 'verify', from: 'bappeda_verification', to: 'tapd_review', actor: 'verifikator.bappeda', role: 'bappeda_verifier', comment: null },
  { event: 'approve', from: 'tapd_review', to: 'approved', actor: 'tapd.sekda', role: 'tapd', comment: null },
  { event: 'ratify', from: 'approved', to: 'ratified', actor: 'ppkd.bpkad', role: 'ppkd', comment: null },
];

function literal(v: string | null): string {
  if (v === null) return 'NULL::text';
  if (!/^[\x20-\x7e]*$/.test(v) || /["\\']/.test(v)) throw new Error(`generator value needs escaping: ${v}`);
  return `'${v}'::text`;
}

export function auditRowsSql(seq: number): string {
  const step = CHAIN[seq - 1];
  if (!step) throw new Error(`the generated chain has ${CHAIN.length} rows, not ${seq}`);
  const actor = step.actor === 'planner' ? `'perencana.' || i.org_id` : step.actor === 'kadis' ? `'kadis.' || i.org_id` : literal(step.actor);
  // Rows of one seq share a day; within it, instances follow row_no: chains interleave in time.
  const createdAt = `date_trunc('day', now()) - interval '30 days' + interval '1 day' * ${seq} + interval '1 millisecond' * i.row_no`;
  const payload = seq === 1 ? `encode(sha256(convert_to('payload ' || i.id::text, 'UTF8')), 'hex')` : 'NULL::text';
  const prev = seq === 1 ? 'NULL::text' : 'p.hash';
  const join = seq === 1 ? '' : `JOIN audit_events p ON p.instance_id = i.id AND p.seq = ${seq - 1}`;
  return `
    INSERT INTO audit_events (instance_id, seq, event, from_state, to_state, actor, actor_role, comment, payload_digest, created_at, prev_hash, hash)
    SELECT x.instance_id, x.seq, x.event, x.from_state, x.to_state, x.actor, x.actor_role, x.comment, x.payload_digest, x.created_at, x.prev_hash,
      encode(sha256(convert_to(
        '{"actor":"' || x.actor || '"'
        || coalesce(',"actor_role":"' || x.actor_role || '"', '')
        || coalesce(',"comment":"' || x.comment || '"', '')
        || ',"created_at":"' || grms_ts(x.created_at) || '"'
        || ',"event":"' || x.event || '"'
        || coalesce(',"from_state":"' || x.from_state || '"', '')
        || ',"instance_id":"' || x.instance_id::text || '"'
        || coalesce(',"payload_digest":"' || x.payload_digest || '"', '')
        || coalesce(',"prev_hash":"' || x.prev_hash || '"', '')
        || ',"seq":' || x.seq::text
        || ',"to_state":"' || x.to_state || '"}', 'UTF8')), 'hex')
    FROM (
      SELECT i.id AS instance_id, ${seq} AS seq, ${literal(step.event)} AS event, ${literal(step.from)} AS from_state,
             ${literal(step.to)} AS to_state, ${actor} AS actor, ${literal(step.role)} AS actor_role, ${literal(step.comment)} AS comment,
             ${payload} AS payload_digest, ${createdAt} AS created_at, ${prev} AS prev_hash
      FROM workflow_instances i ${join}
      WHERE i.title LIKE 'Usulan Bench %'
      ORDER BY i.row_no
    ) AS x`;
}
