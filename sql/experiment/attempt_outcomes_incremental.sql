-- The draft-level part of every triggered attempt (docs/definitions.md §4): the first nudge_triggered of each
-- draft and its outcome from comment_posted within the window_minutes parameter (60) of it, compared by text_hash with
-- the triggering submission. Never from nudge_response. Which user is in which arm (assignments) is joined
-- later, by sql/experiment/triggered_attempts.sql.
-- After a nightly load: only the drafts with events in the arrival dates loaded since the last update
-- (attempts_pending) are computed again, their rows replaced. The whole table: sql/experiment/attempt_outcomes.sql (the
-- same rules, keep the two in step; tests/test_outcome_rules.py and tests/test_incremental.py check that they
-- agree). The events of the touched drafts are few and read once (MATERIALIZED; otherwise the draft filter was
-- not applied to every use and each read all submissions).
CREATE OR REPLACE TEMP TABLE touched_drafts AS
SELECT DISTINCT draft_id FROM raw_events
WHERE arrival_date IN (SELECT arrival_date FROM bookkeeping.attempts_pending) AND draft_id IS NOT NULL;

DELETE FROM attempt_outcomes WHERE draft_id IN (SELECT draft_id FROM touched_drafts);

INSERT INTO attempt_outcomes BY NAME
WITH draft_events AS MATERIALIZED (
  SELECT experiment_id, draft_id, user_id, variant, event_id, event_ts, arrival_date, shown, event_type, text_hash,
         toxicity_score
  FROM events
  WHERE event_type IN ('nudge_triggered', 'comment_draft_submitted', 'comment_posted')
    AND draft_id IN (SELECT draft_id FROM touched_drafts)
), first_trigger AS (
  -- the draft's first trigger for the experiment, then only if it names a registered variant: a later trigger
  -- never stands in for a first one that cannot be analysed
  SELECT t.*
  FROM (
    SELECT e.experiment_id, e.draft_id, e.user_id, e.variant, e.event_id AS trigger_event_id,
           e.event_ts AS triggered_at, e.arrival_date, e.shown
    FROM draft_events e
    WHERE e.event_type = 'nudge_triggered'
    QUALIFY row_number() OVER (PARTITION BY e.experiment_id, e.draft_id ORDER BY e.event_ts, e.event_id) = 1
  ) t
  JOIN registry_variants v ON v.experiment_id = t.experiment_id AND v.variant = t.variant
), submission AS (
  SELECT t.trigger_event_id, s.text_hash, s.toxicity_score
  FROM first_trigger t
  JOIN draft_events s ON s.draft_id = t.draft_id AND s.event_type = 'comment_draft_submitted'
  QUALIFY row_number() OVER (
    PARTITION BY t.trigger_event_id
    ORDER BY s.event_ts <= t.triggered_at DESC,
             CASE WHEN s.event_ts <= t.triggered_at THEN s.event_ts END DESC,
             CASE WHEN s.event_ts <= t.triggered_at THEN s.event_id END DESC,
             s.event_ts, s.event_id) = 1
), deciding_post AS (
  SELECT t.trigger_event_id, p.text_hash, p.toxicity_score, p.event_ts AS posted_at
  FROM first_trigger t
  JOIN draft_events p ON p.draft_id = t.draft_id AND p.event_type = 'comment_posted'
   AND p.event_ts BETWEEN t.triggered_at AND t.triggered_at + INTERVAL 1 MINUTE * $window_minutes
  QUALIFY row_number() OVER (PARTITION BY t.trigger_event_id ORDER BY p.event_ts, p.event_id) = 1
)
SELECT t.experiment_id, t.user_id, t.draft_id, t.variant, t.trigger_event_id, t.triggered_at, t.arrival_date,
       t.shown, s.toxicity_score AS draft_score,
       CASE WHEN s.toxicity_score >= x.band_edge THEN 2 ELSE 1 END AS toxicity_band,
       CASE WHEN p.trigger_event_id IS NULL THEN 'withdrawn'
            WHEN lower(p.text_hash) <> lower(s.text_hash) THEN 'changed'  -- hex: case is not content
            ELSE 'posted_unchanged' END AS outcome,
       p.posted_at, p.toxicity_score AS posted_score,
       (p.trigger_event_id IS NOT NULL AND lower(p.text_hash) <> lower(s.text_hash)
        AND p.toxicity_score < x.trigger_threshold)
         AS defused,
       s.trigger_event_id IS NOT NULL AS has_submission
FROM first_trigger t
JOIN registry_experiments x ON x.experiment_id = t.experiment_id
LEFT JOIN submission s ON s.trigger_event_id = t.trigger_event_id
LEFT JOIN deciding_post p ON p.trigger_event_id = t.trigger_event_id;
