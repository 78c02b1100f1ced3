-- The inbox (GET /api/v1/tasks) lists tasks soonest due first, ties in instance order (row_no),
-- and counts them up to a cap. Reading that order from an index lets a page stop after its last
-- row instead of sorting the whole inbox, so each deadline carries its instance's row_no and
-- org_id (both fixed when the instance is created), set by a trigger on insert.
ALTER TABLE deadlines ADD COLUMN row_no bigint;
ALTER TABLE deadlines ADD COLUMN org_id text;

UPDATE deadlines d SET row_no = i.row_no, org_id = i.org_id FROM workflow_instances i WHERE i.id = d.instance_id;

CREATE FUNCTION deadlines_instance_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT row_no, org_id INTO NEW.row_no, NEW.org_id FROM workflow_instances WHERE id = NEW.instance_id;
  RETURN NEW;
END $$;
CREATE TRIGGER deadlines_instance_keys BEFORE INSERT ON deadlines
  FOR EACH ROW EXECUTE FUNCTION deadlines_instance_keys();

ALTER TABLE deadlines ALTER COLUMN row_no SET NOT NULL;
ALTER TABLE deadlines ALTER COLUMN org_id SET NOT NULL;

-- A state of the inbox in due order, escalated deadlines apart from the others (a page merges
-- the two; the overdue count is all escalated ones plus the others due before now, two ranges):
-- for steps anyone with the role may take (global), and per OPD for steps taken at the
-- instance's OPD. instance_id rides along, so counting reads no deadline rows.
CREATE INDEX deadlines_inbox ON deadlines (workflow, state, overdue, due_at, row_no) INCLUDE (instance_id)
  WHERE kind = 'state';
CREATE INDEX deadlines_inbox_org ON deadlines (workflow, state, org_id, overdue, due_at, row_no) INCLUDE (instance_id)
  WHERE kind = 'state';

-- Deadlines are read a few index entries at a time; starting parallel workers for them costs
-- more than it saves (the planner cannot tell that a deadline's state is its instance's).
ALTER TABLE deadlines SET (parallel_workers = 0);
