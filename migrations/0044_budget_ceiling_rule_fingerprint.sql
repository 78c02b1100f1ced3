-- budget-proposal v1: its fingerprint now covers the ceiling rule TAPD's approval names
-- (withinCeiling, workflows/budget-proposal/ceilings.ts), which v1.ts re-exports. Until now the
-- rule's code was imported only by the package's index, so a change to it would not have been
-- noticed at start. The rule itself is unchanged: only what the fingerprint covers grows.
INSERT INTO workflow_definition_fixes (workflow, version, previous_hash, hash, reason, migration) VALUES (
  'budget-proposal', 1,
  'e2407776b6ca444ba0690c2459bbe69903f5f2887706769b43693541a8cdc1d4',
  'd23bcdd308ead265297dee16c176bf821d0bd95843d6729b155274c0ecfe7ab8',
  'The fingerprint of budget-proposal v1 covers its ceiling rule (withinCeiling) from now on; the rule and every other behaviour are unchanged',
  '0044_budget_ceiling_rule_fingerprint.sql'
);
