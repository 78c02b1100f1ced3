-- 1. The year an instance belongs to for the dashboard's counts and the lists' `year` filter, as its
-- workflow package declares it (WorkflowPackage.years): its fiscal year, or the year it was created
-- in on the workflow clock in GRMS_TIMEZONE. Written by the engine when it creates or changes an
-- instance. Rows made before this migration keep NULL and are grouped as they were until now (the
-- fiscal year, else the year of created_at in GRMS_TIMEZONE): a migration knows no time zone.
ALTER TABLE workflow_instances ADD COLUMN year_group integer;

-- 2. complaint v1: the desk's dispatch (desk_review/dispatch) names an OPD that can receive the
-- complaint (an existing org of kind 'opd' with an active complaint liaison), checked by the
-- package's rule dispatchesToAnOpd (workflows/complaint/rules.ts, imported by v1.ts, so the
-- fingerprint covers it). A correctness fix: complaints already waiting at the desk get it too.
INSERT INTO workflow_definition_fixes (workflow, version, previous_hash, hash, reason, migration) VALUES (
  'complaint', 1,
  '505d3fb9e61a9a6fa67498aec4a1e4ce20a5ec047590155a69d000d3c2586955',
  '955557964dbc6b998031f8d708d019a7b616deaa6d0f276c7b77d83acb960320',
  'Correctness fix: the complaint desk''s dispatch (desk_review/dispatch) is refused unless it names an existing OPD with an active complaint liaison, also for complaints already waiting at the desk; a dispatch to an unknown org left the complaint in nobody''s inbox',
  '0042_instance_year_and_dispatch_rule.sql'
);
