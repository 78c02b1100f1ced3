'use strict';
// Version 1 of {{name}}: the applicant submits, the approver approves or rejects (with a comment).
// Each transition carries its step facts as `meta`: who may fire it (roles, scope), whether it is
// a task in someone's inbox, a review (another hand than the submitter's), needs a comment, and the
// signed document it produces. grms derives the steps table from them (stepsOf).
const schema = require('./schemas/v1.schema.json');

module.exports = function defineV1({ setup, stepsOf }) {
  const applicant = { roles: ['{{role}}_applicant'], scope: 'instance-org', task: true, review: false };
  const approver = { roles: ['{{role}}_approver'], scope: 'instance-org', task: true, review: true };
  const machine = setup({}).createMachine({
    id: '{{name}}',
    initial: 'draft',
    context: ({ input }) => ({ data: input.data }),
    states: {
      draft: { on: { submit: { target: 'review', meta: { ...applicant, submits: true } } } },
      review: {
        on: {
          approve: { target: 'approved', meta: { ...approver, document: { title: 'Surat Persetujuan' } } },
          reject: { target: 'rejected', meta: { ...approver, requiresComment: true, document: { title: 'Surat Penolakan' } } },
        },
      },
      approved: { type: 'final' },
      rejected: { type: 'final' },
    },
  });

  return {
    name: '{{name}}',
    version: 1,
    title: '{{name}}',
    machine,
    schema,
    creatorRoles: ['{{role}}_applicant'],
    normalize: (data) => ({ data, title: data.title, fiscalYear: null, total: null }),
    steps: stepsOf(machine),
  };
};
