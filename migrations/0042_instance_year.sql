-- The year an instance belongs to for the dashboard's counts and the lists' `year` filter, as its
-- workflow package declares it (WorkflowPackage.years): its fiscal year, or the year it was created
-- in on the workflow clock in GRMS_TIMEZONE. Written by the engine when it creates or changes an
-- instance. Rows made before this migration keep NULL and are grouped as they were until now (the
-- fiscal year, else the year of created_at in GRMS_TIMEZONE): a migration knows no time zone.
ALTER TABLE workflow_instances ADD COLUMN year_group integer;
