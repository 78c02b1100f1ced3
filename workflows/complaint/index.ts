import type { WorkflowPackage } from '../../src/engine/package';
import { complaintV1, trackingNumber } from './v1';
import { complaintListing } from './listing';
import { labels } from './labels';
import { complaintDemo, seedComplaints } from './demo';

/** Public complaints (pengaduan masyarakat) as one package: versions, roles, labels, list page, demo data. */
export const complaintPackage: WorkflowPackage = {
  name: 'complaint',
  title: { id: 'Pengaduan masyarakat', en: 'Public complaint' },
  versions: [{ definition: complaintV1, source: 'v1' }],
  roles: {
    complaint_desk: { label: { id: 'pengelola pengaduan', en: 'complaint desk' }, global: true },
    complaint_liaison: { label: { id: 'penghubung pengaduan', en: 'complaint liaison' } },
    // Declared as every package declaring it does: a role is one office's duty.
    opd_head: { label: { id: 'kepala OPD', en: 'head of OPD' } },
  },
  labels,
  listing: complaintListing,
  demo: complaintDemo,
  seed: seedComplaints,
  // Citizens file without an account (POST /api/v1/public/workflows/complaint/instances, /lapor/complaint);
  // the desk at the regional secretariat owns what they file.
  publicIntake: {
    org: 'setda',
    trackingNumber: (seq, at) => trackingNumber(seq, at),
    anonymous: { when: '/anonymous', identity: ['/reporter'] },
    // GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS caps this list on the public routes.
    attachments: '/attachments',
  },
  // A confidential reporter is seen by the desk (and auditors), never by the OPD the complaint goes to.
  confidential: [{ pointer: '/reporter', when: '/confidential', visibleTo: ['complaint_desk'] }],
};

export default complaintPackage;
