'use strict';
// The {{name}} workflow package. grms calls definePackage(grms) with its own xstate and helpers:
// require nothing from grms or xstate here. Labels may change in place; the machine and its steps
// (v1.js and what it requires) are covered by the version's fingerprint: change them by adding v2.js.
const defineV1 = require('./v1');

exports.definePackage = function definePackage(grms) {
  return {
    name: '{{name}}',
    title: { id: 'Permohonan {{name}}', en: '{{name}} request' },
    versions: [{ definition: defineV1(grms), source: 'v1.js' }],
    roles: {
      {{role}}_applicant: { label: { id: 'pemohon', en: 'applicant' } },
      {{role}}_approver: { label: { id: 'pemberi persetujuan', en: 'approver' } },
    },
    labels: {
      id: {
        states: { draft: 'Konsep', review: 'Diperiksa', approved: 'Disetujui', rejected: 'Ditolak' },
        events: { submit: 'Ajukan', approve: 'Setujui', reject: 'Tolak' },
        fields: { title: 'Judul', reason: 'Alasan' },
      },
      en: {
        states: { draft: 'Draft', review: 'Under review', approved: 'Approved', rejected: 'Rejected' },
        events: { submit: 'Submit', approve: 'Approve', reject: 'Reject' },
        fields: { title: 'Title', reason: 'Reason' },
      },
    },
  };
};
