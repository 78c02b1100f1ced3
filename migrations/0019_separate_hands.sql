-- Segregation of duties through delegation (Plt/Plh): duty checks compare hands (the user and
-- whom they acted for), not users. A security fix, so it applies to running instances.

-- Who had a hand in which step: 'state:event:username' for the actor and whom they acted for, so
-- a workflow can require different people for two steps (Step.separateFrom) in JavaScript and in
-- the inbox's SQL alike. Filled in from the audit trail for instances that already ran.
ALTER TABLE workflow_instances ADD COLUMN step_hands text[] NOT NULL DEFAULT '{}';
UPDATE workflow_instances w SET step_hands = h.hands
FROM (
  SELECT a.instance_id, array_agg(DISTINCT a.from_state || ':' || a.event || ':' || who.username) AS hands
  FROM audit_events a
  CROSS JOIN LATERAL (VALUES (a.actor), (a.acting_for)) AS who (username)
  WHERE a.from_state IS NOT NULL AND who.username IS NOT NULL AND a.event NOT IN ('comment', 'escalated')
  GROUP BY a.instance_id
) h
WHERE h.instance_id = w.id;

-- Submitters are hands too: an official whose Plt submitted in their name may not review it.
-- The submitting steps so far: 'submit', and the permit's technical recommendation (submits: true).
UPDATE workflow_instances w SET submitters = w.submitters || array(SELECT x FROM unnest(p.principals) AS x WHERE x <> ALL (w.submitters))
FROM (
  SELECT a.instance_id, array_agg(DISTINCT a.acting_for) AS principals
  FROM audit_events a
  JOIN workflow_instances i ON i.id = a.instance_id
  WHERE a.acting_for IS NOT NULL AND (a.event = 'submit' OR (i.workflow = 'permit' AND a.event = 'recommend'))
  GROUP BY a.instance_id
) p
WHERE p.instance_id = w.id AND NOT w.submitters @> p.principals;

-- budget-proposal v1: TAPD's approval needs another hand than Bappeda's verification.
INSERT INTO workflow_definition_fixes (workflow, version, previous_hash, hash, reason, migration) VALUES (
  'budget-proposal', 1,
  '3aaf78674c31b8e337fa7330a3114fef415eec53d6658e0ac210fbe77012d67d',
  '08583ec75083858c50a91406a1db709b1fbb9dd15f66ccaed07efb6d2d43a970',
  'Security fix, segregation of duties: TAPD approval (tapd_review/approve) needs another hand than Bappeda verification (bappeda_verification/verify), also for proposals already under way',
  '0019_separate_hands.sql'
);
