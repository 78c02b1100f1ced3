/**
 * Where the OCDS publication is served.
 * - GET /api/v1/instances/:id/ocds (token): every release of a contract the caller may read,
 *   published or not, as a release package.
 * - Public, no token, limited per client like the other public routes: the contracting processes
 *   published so far (GET /api/v1/ocds, a page of ocids with links), and per ocid its release
 *   package (/api/v1/ocds/:ocid/releases) and its record package (/api/v1/ocds/:ocid/record).
 *   A contract is published from its signature by both parties on; before that, and for any
 *   other ocid, the answer is 404. Each package's `uri` is the public URL that serves it.
 */
import { Router, type Request } from 'express';
import type { Kysely } from 'kysely';
import type { Database, InstanceRow } from '../../../src/db/types';
import type { Engine } from '../../../src/engine/engine';
import { decodeCursor, encodeCursor, parseLimit } from '../../../src/engine/read';
import { notFound } from '../../../src/errors';
import { actorOf } from '../../../src/api/middleware';
import { publicRateLimit, type PublicRate } from '../../../src/api/public-rate';
import { contractFacts, signedAt } from './facts';
import { contractReleases, ocidOf, type OcdsSettings } from './releases';
import { recordPackage, releasePackage } from './packages';

const WORKFLOW = 'procurement-delivery';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The authenticated view, mounted under /api/v1 behind the bearer token. */
export function ocdsInstanceRouter(db: Kysely<Database>, engine: Engine, s: OcdsSettings): Router {
  const r = Router();
  r.get('/instances/:id/ocds', async (req, res) => {
    const { row } = await engine.get(actorOf(res), req.params.id);
    if (row.workflow !== WORKFLOW) throw notFound(`Instance ${row.id} is not a procurement contract`);
    const releases = contractReleases(await contractFacts(db, row), s);
    res.json(releasePackage(`${s.publicUrl}/api/v1/instances/${row.id}/ocds`, releases, s));
  });
  return r;
}

/** The public publication, mounted before the bearer token is required. */
export function publicOcdsRouter(db: Kysely<Database>, s: OcdsSettings & { rate: PublicRate }): Router {
  const r = Router();
  const limited = publicRateLimit(db, 'ocds', s.rate);
  const base = `${s.publicUrl}/api/v1/ocds`;
  const links = (ocid: string) => ({ releases: `${base}/${ocid}/releases`, record: `${base}/${ocid}/record` });
  const query = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);

  /** The releases of a published contract, by its ocid; 404 for anything else. */
  async function published(ocid: string) {
    const prefix = `${s.ocidPrefix}-`;
    const id = ocid.startsWith(prefix) ? ocid.slice(prefix.length) : '';
    const row: InstanceRow | undefined = UUID.test(id)
      ? await db.selectFrom('workflow_instances').selectAll().where('id', '=', id).where('workflow', '=', WORKFLOW).executeTakeFirst()
      : undefined;
    const facts = row && (await contractFacts(db, row));
    if (!facts || !signedAt(facts)) throw notFound(`No published contracting process ${ocid}`);
    return contractReleases(facts, s);
  }

  r.get('/api/v1/ocds', limited, async (req, res) => {
    const limit = parseLimit(query(req, 'limit'));
    const after = decodeCursor(query(req, 'cursor'));
    let q = db.selectFrom('workflow_instances').select(['id', 'title', 'row_no']).where('workflow', '=', WORKFLOW)
      .where(({ exists, selectFrom }) => exists(selectFrom('audit_events').select('audit_events.seq')
        .whereRef('audit_events.instance_id', '=', 'workflow_instances.id')
        .where('audit_events.event', '=', 'sign_contract').where('audit_events.to_state', '=', 'contract_active')));
    if (after !== undefined) q = q.where('row_no', '<', after);
    const rows = await q.orderBy('row_no', 'desc').limit(limit + 1).execute();
    const kept = rows.slice(0, limit);
    res.json({
      items: kept.map((row) => ({ ocid: ocidOf(s, row.id), title: row.title, ...links(ocidOf(s, row.id)) })),
      nextCursor: rows.length > limit ? encodeCursor(kept.at(-1)!.row_no) : null,
    });
  });
  r.get('/api/v1/ocds/:ocid/releases', limited, async (req, res) => {
    const ocid = String(req.params.ocid);
    res.json(releasePackage(links(ocid).releases, await published(ocid), s));
  });
  r.get('/api/v1/ocds/:ocid/record', limited, async (req, res) => {
    const ocid = String(req.params.ocid);
    res.json(recordPackage(links(ocid).record, links(ocid).releases, await published(ocid), s));
  });
  return r;
}
