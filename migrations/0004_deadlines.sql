-- SLA deadlines in working days (see src/sla/). Deadlines live here, not in xstate `after` timers,
-- so a restart loses none; the history of escalations lives in audit_events (event 'escalated').

-- Days that are not working days besides Saturday and Sunday (national holidays, cuti bersama),
-- edited by admins. A deadline is computed with the table as it is when its state is entered.
CREATE TABLE holidays (
  "date"      date PRIMARY KEY,
  name        text NOT NULL CHECK (btrim(name) <> ''),
  created_by  text NOT NULL,                    -- a username, or 'system' for a seeded calendar
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- At most one open deadline per instance and kind: 'state' for the state the instance is in,
-- 'overall' for the whole workflow. A row is deleted when its clock ends (state left, final state).
-- The overall clock pauses in states where the applicant holds the file: while paused, paused_at
-- is set and used_days keeps the working days already consumed; started_at is when the current
-- counting stretch began. due_at is NULL while paused with time left.
CREATE TABLE deadlines (
  instance_id   uuid NOT NULL REFERENCES workflow_instances (id),
  kind          text NOT NULL CHECK (kind IN ('state', 'overall')),
  workflow      text NOT NULL,
  state         text NOT NULL,                  -- 'state': its state; 'overall': where the clock last started, resumed or paused
  working_days  integer NOT NULL CHECK (working_days >= 1),
  used_days     integer NOT NULL DEFAULT 0 CHECK (used_days >= 0),
  started_at    timestamptz NOT NULL,
  paused_at     timestamptz,
  due_at        timestamptz,
  overdue       boolean NOT NULL DEFAULT false,
  escalated_at  timestamptz,                    -- set once, by the scheduler that fired it
  PRIMARY KEY (instance_id, kind),
  CHECK (paused_at IS NOT NULL OR due_at IS NOT NULL),
  CHECK (kind = 'overall' OR (paused_at IS NULL AND used_days = 0))
);
-- The scheduler's search: due and not yet escalated.
CREATE INDEX deadlines_due ON deadlines (due_at) WHERE escalated_at IS NULL AND due_at IS NOT NULL;
-- Lists of overdue work and inboxes sorted by due date (joins use the primary key's instance_id).
CREATE INDEX deadlines_overdue ON deadlines (overdue, due_at);
