import { Router } from 'express';
import type { WorkflowPackage } from '../../src/engine/package';
import { actorOf, requireRole } from '../../src/api/middleware';
import { trackingStatusRouter } from '../../src/api/tracking-status';
import { permitReceiptPdf, receiptFilename } from './receipt';
import { permitStatusRoute, permitStatusRouteOf } from './status';
import { receiptPages } from './console';

/** The permit's own routes: the applicant's public status, the front desk's receipt (API and console). */
export const permitRoutes: NonNullable<WorkflowPackage['routes']> = {
  public: ({ db, timezone, settings }) => trackingStatusRouter(db, timezone, permitStatusRouteOf(typeof settings.government === 'string' ? settings.government : '')),
  publicPaths: [permitStatusRoute.pagePath],
  api(deps) {
    const r = Router();
    // The front desk prints the tanda terima right after registration: registration number and PIN,
    // checked against the stored hash (the PIN itself is never stored), signed with the seal. Only
    // for an application the caller may read; the applicants' PIN limit does not apply to it.
    r.post('/permits/receipt.pdf', requireRole('frontdesk'), async (req, res) => {
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const receipt = await permitReceiptPdf(deps, actorOf(res), { registrationNumber: body.registrationNumber, pin: body.pin });
      res.type('application/pdf').set('Content-Disposition', `attachment; filename="${receiptFilename(receipt.registrationNumber)}"`).set('Cache-Control', 'no-store').send(receipt.pdf);
    });
    return r;
  },
  console: receiptPages,
};
