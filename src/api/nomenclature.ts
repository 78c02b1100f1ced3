import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { badRequest, unsupportedMediaType } from '../errors';
import { readUpload } from './upload-body';
import { actorOf, requireRole } from './middleware';
import { checkFiscalYear, csvText, importNomenclatureCsv, listNomenclature, NOMENCLATURE_KINDS, NOMENCLATURE_LIMITS, nomenclatureTooLarge, type NomenclatureKind } from '../nomenclature';

/**
 * The budget nomenclature per fiscal year (src/nomenclature): everyone signed in reads it, admins
 * import a CSV file (`kind,code,name`) as a whole or not at all.
 */
export function nomenclatureRouter(db: Kysely<Database>): Router {
  const r = Router();
  const year = (value: unknown) => {
    const n = Number(value);
    if (!/^[0-9]{4}$/.test(String(value))) throw badRequest('year must be a fiscal year such as 2027', [{ path: '/year', message: 'must be 2000..2100' }]);
    return checkFiscalYear(n);
  };
  r.get('/nomenclature/:year', async (req, res) => {
    const kind = req.query.kind;
    if (kind !== undefined && !NOMENCLATURE_KINDS.includes(kind as NomenclatureKind)) {
      throw badRequest(`kind must be one of ${NOMENCLATURE_KINDS.join(', ')}`, [{ path: '/kind', message: `must be one of ${NOMENCLATURE_KINDS.join(', ')}` }]);
    }
    res.json({ items: await listNomenclature(db, year(req.params.year), kind as NomenclatureKind | undefined) });
  });
  r.post('/nomenclature/:year', requireRole('admin'), async (req, res) => {
    const fiscalYear = year(req.params.year);
    if (!req.is('text/csv')) throw unsupportedMediaType('A nomenclature file is sent as text/csv (UTF-8): kind,code,name');
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > NOMENCLATURE_LIMITS.bytes) {
      req.resume();
      throw nomenclatureTooLarge();
    }
    const upload = await readUpload(req, NOMENCLATURE_LIMITS.bytes, Number.isFinite(declared) ? declared : undefined);
    if (!upload) throw nomenclatureTooLarge();
    res.json(await importNomenclatureCsv(db, fiscalYear, csvText(upload.bytes), actorOf(res).username));
  });
  return r;
}
