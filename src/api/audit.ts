import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { verifyAudit } from '../audit/verify';
import { verifyCeilingChain } from '../audit/ceiling-events';
import { verifyPeopleChain } from '../auth/people';
import { verifyOrgChain } from '../auth/orgs';
import { createCheckpoint } from '../audit/checkpoint';
import type { CheckpointKey } from '../audit/keys';
import { badRequest, type FieldProblem } from '../errors';
import { exportAudit, type ExportFilters } from '../audit/export';
import { requireRole } from './middleware';
import { describeLogKey } from '../audit/log-key';
import type { Policy } from '../audit/tlog';

/**
 * The public half of the checkpoint key, derived from the server's private key. A convenience only:
 * an auditor who fetches it from the server trusts the operator; pin the key from `grms key show`
 * (compare the fingerprint) instead.
 */
export function auditPublicRouter(key: CheckpointKey): Router {
  const r = Router();
  const info = describeLogKey(key.publicKeyPem);
  r.get('/audit/public-key', (_req, res) => {
    res.json({ algorithm: 'Ed25519', keyId: key.keyId, publicKeyPem: key.publicKeyPem, fingerprint: info.fingerprint, base64: info.base64 });
  });
  return r;
}

/** What a check run by the server itself is worth, said with every such answer. */
export const SERVER_CHECK_TRUST =
  'checked by the server with its own key: this trusts the operator. To verify without that trust, run ' +
  '`grms audit verify --log-key <key>` with the key you pinned from `grms key show`.';

/**
 * `policy`: the deployment's witness quorum; exports end at the latest checkpoint that meets it.
 * `timeZone`: GRMS_TIMEZONE, the zone of a CSV export's local-time column.
 */
export function auditRouter(db: Kysely<Database>, key: CheckpointKey, policy: Policy, timeZone: string): Router {
  const r = Router();
  r.get('/audit/verify', requireRole('auditor'), async (_req, res) => {
    // The server checks with its own key: this answer trusts the operator (see trust below).
    const result = await verifyAudit(db, key.publicKeyPem);
    const people = await verifyPeopleChain(db);
    const orgs = await verifyOrgChain(db);
    const ceilings = await verifyCeilingChain(db);
    res.json({ ...result, ok: result.ok && people.ok && orgs.ok && ceilings.ok, people, orgs, ceilings, trust: SERVER_CHECK_TRUST });
  });
  r.get('/audit/export', requireRole('auditor'), async (req, res) => {
    const format = req.query.format === undefined ? 'csv' : req.query.format;
    const filters = parseExportFilters(req.query as Record<string, unknown>);
    if (format !== 'csv' && format !== 'jsonl') throw badRequest('format must be csv or jsonl', [{ path: '/format', message: 'must be csv or jsonl' }]);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="grms-audit-${stamp}.${format}"`);
    // A client that goes away never drains: the export stops there instead of waiting forever.
    const drain = () =>
      new Promise<void>((resolve, reject) => {
        const closed = () => reject(new Error('the client closed the connection during the export'));
        res.once('drain', () => {
          res.off('close', closed);
          resolve();
        });
        res.once('close', closed);
      });
    await exportAudit(db, { write: (t) => res.write(t), drain }, {
      format, filters, policy, timeZone,
    });
    res.end();
  });
  // Checkpoints are also taken every few minutes by the server; an admin may ask for one now.
  r.post('/audit/checkpoints', requireRole('admin'), async (_req, res) => {
    const cp = await createCheckpoint(db, key);
    res.status(201).json(cp ?? { created: false });
  });
  return r;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Export filters from the query string; bad values are a 400 naming each parameter. */
/** A filter's instant for comparing two of them: a plain date as its midnight (both sides alike). */
const instantOf = (v: string) => Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00` : v);

export function parseExportFilters(q: Record<string, unknown>): ExportFilters {
  const problems: FieldProblem[] = [];
  const out: ExportFilters = {};
  for (const name of ['from', 'to', 'workflow', 'org', 'actor', 'instance'] as const) {
    const v = q[name];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string' || v.length > 200) {
      problems.push({ path: `/${name}`, message: 'must be a single short value' });
      continue;
    }
    if ((name === 'from' || name === 'to') && (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v)))) problems.push({ path: `/${name}`, message: 'must be a date or ISO 8601 time' });
    else if (name === 'instance' && !UUID.test(v)) problems.push({ path: '/instance', message: 'must be an instance id' });
    else out[name] = v;
  }
  // `to` is the end (exclusive): a `from` after it asks for nothing, and is a mistake to say.
  if (out.from && out.to && instantOf(out.from) > instantOf(out.to)) problems.push({ path: '/to', message: 'must not be before from' });
  if (problems.length) throw badRequest('Invalid export filters', problems);
  return out;
}
