-- One row per (experiment, analysed user), after a nightly load: only the users the arrival dates loaded since the
-- last update (bookkeeping.user_metrics_pending) touch are computed again, their rows replaced. The whole table,
-- and the rules: sql/metrics/user_metrics.sql (the same query, here scoped to touched_users; keep the two in step:
-- tests/test_incremental.py checks that they agree).
--
-- A user's row depends on the user's own events (assignment, attempts and their outcomes, posts before and during
-- the experiment), on the reports and removals of the user's comments, and on how far the experiment can be
-- observed (the newest event: the exposure days of the learning metrics). So the touched users are those with a row
-- in the new dates and the authors of the comments reported or removed in them; every other user keeps the row,
-- with the exposure days brought up to the new end of what can be observed (from the first analysed attempt, the
-- same expressions as the full file). pipelines/tables.py falls back to the whole table when that cannot be known:
-- another registry, replaced rows, or a date older than one already processed.
CREATE OR REPLACE TEMP TABLE touched_users AS
SELECT DISTINCT user_id FROM raw_events
WHERE arrival_date IN (SELECT arrival_date FROM bookkeeping.user_metrics_pending) AND user_id IS NOT NULL
UNION
SELECT p.user_id FROM events p
WHERE p.event_type = 'comment_posted' AND p.user_id IS NOT NULL
  AND p.comment_id IN (SELECT comment_id FROM raw_events
                       WHERE arrival_date IN (SELECT arrival_date FROM bookkeeping.user_metrics_pending)
                         AND event_type IN ('comment_reported', 'comment_removed'));

DELETE FROM user_metrics WHERE user_id IN (SELECT user_id FROM touched_users);

INSERT INTO user_metrics BY NAME
WITH users AS (
  SELECT a.experiment_id, a.user_id, a.variant, a.assigned_at, a.country, a.platform,
         x.end_date, x.trigger_threshold
  FROM assignments a JOIN registry_experiments x USING (experiment_id)
  WHERE NOT a.contaminated AND a.user_id IN (SELECT user_id FROM touched_users)
), observed_until AS (
  -- the end of what can be observed of an experiment: its last day, or the newest event if earlier
  SELECT x.experiment_id,
         least(CAST(x.end_date + INTERVAL 1 DAY AS TIMESTAMP), (SELECT max(event_ts) FROM events)) AS until
  FROM registry_experiments x
), numbered AS (
  -- analysed attempts with their number among the user's analysed attempts in the experiment, by trigger time
  -- (prompt_number; control numbers its would-have-been prompts the same way)
  SELECT a.*, row_number() OVER (PARTITION BY a.experiment_id, a.user_id ORDER BY a.triggered_at, a.trigger_event_id)
           AS prompt_number
  FROM triggered_attempts a
  WHERE a.exclusion IS NULL AND a.user_id IN (SELECT user_id FROM touched_users)
), learning AS (
  -- later triggered attempts by days since the user's first one, and the user-days observed in each band
  SELECT t.experiment_id, t.user_id,
         count(*) FILTER (t.prompt_number > 1 AND t.days_since < 2) AS later_attempts_d0_1,
         count(*) FILTER (t.prompt_number > 1 AND t.days_since >= 2 AND t.days_since < 8) AS later_attempts_d2_7,
         count(*) FILTER (t.prompt_number > 1 AND t.days_since >= 8) AS later_attempts_d8_plus,
         greatest(least(any_value(t.observed_days), 2), 0) AS exposure_d0_1,
         greatest(least(any_value(t.observed_days), 8) - 2, 0) AS exposure_d2_7,
         greatest(any_value(t.observed_days) - 8, 0) AS exposure_d8_plus
  FROM (
    -- days from microsecond differences (the same double as epoch() of the interval): a form Spark shares
    SELECT a.experiment_id, a.user_id, a.prompt_number,
           (epoch_us(a.triggered_at) - epoch_us(min(a.triggered_at) OVER w)) / 1e6 / 86400.0 AS days_since,
           (epoch_us(o.until) - epoch_us(min(a.triggered_at) OVER w)) / 1e6 / 86400.0 AS observed_days
    FROM numbered a JOIN observed_until o USING (experiment_id)
    WINDOW w AS (PARTITION BY a.experiment_id, a.user_id)
  ) t
  GROUP BY ALL
), attempts AS (
  SELECT experiment_id, user_id,
         count(*) AS attempts,
         count(*) FILTER (outcome = 'withdrawn') AS withdrawn,
         count(*) FILTER (outcome = 'changed') AS changed,
         count(*) FILTER (outcome = 'posted_unchanged') AS posted_unchanged,
         count(*) FILTER (defused) AS defused,
         CAST(arg_min(outcome IN ('withdrawn', 'changed'), (triggered_at, trigger_event_id)) AS INTEGER)
           AS first_withdrawn_or_changed,
         -- per value of an attempt-level segment (toxicity band, prompt number), generated from the metric
         -- catalogue (pipelines/metrics.py ATTEMPT_SPLITS)
         {split_counts}
  FROM numbered
  GROUP BY ALL
), reactions AS (
  -- per reacted-to comment: few next to the posts
  SELECT comment_id,
         count(*) FILTER (event_type = 'comment_reported') AS reports,
         count(*) FILTER (event_type = 'comment_removed') AS removals,
         count(*) FILTER (removal_source = 'moderation') AS removals_moderation,
         count(*) FILTER (removal_source = 'creator_single') AS removals_creator_single,
         count(*) FILTER (removal_source = 'creator_bulk') AS removals_creator_bulk
  FROM events
  WHERE event_type IN ('comment_reported', 'comment_removed')
  GROUP BY comment_id
), commented AS (
  -- every posted comment with its reactions: the few reacted-to comments are the join's build side
  SELECT p.user_id, p.event_ts, p.toxicity_score, r.* EXCLUDE (comment_id)
  FROM events p LEFT JOIN reactions r ON r.comment_id = p.comment_id
  WHERE p.event_type = 'comment_posted'
), posts AS (
  SELECT u.experiment_id, u.user_id, p.toxicity_score >= u.trigger_threshold AS toxic,
         p.event_ts >= u.assigned_at AS in_experiment, p.* EXCLUDE (user_id, event_ts, toxicity_score)
  FROM users u
  JOIN commented p ON p.user_id = u.user_id
   AND p.event_ts >= u.assigned_at - INTERVAL 1 DAY * $pre_period_days
   AND CAST(p.event_ts AS DATE) <= u.end_date
), post_counts AS (
  SELECT experiment_id, user_id,
         count(*) FILTER (in_experiment) AS posts,
         count(*) FILTER (in_experiment AND toxic) AS toxic_posts,
         coalesce(sum(reports) FILTER (in_experiment), 0) AS reports,
         coalesce(sum(removals) FILTER (in_experiment), 0) AS removals,
         coalesce(sum(removals_moderation) FILTER (in_experiment), 0) AS removals_moderation,
         coalesce(sum(removals_creator_single) FILTER (in_experiment), 0) AS removals_creator_single,
         coalesce(sum(removals_creator_bulk) FILTER (in_experiment), 0) AS removals_creator_bulk,
         count(*) FILTER (NOT in_experiment) AS pre_posts,
         count(*) FILTER (NOT in_experiment AND toxic) AS pre_toxic_posts
  FROM posts
  GROUP BY ALL
)
SELECT u.experiment_id, u.user_id, u.variant, u.country, u.platform,
       coalesce(a.attempts, 0) AS attempts,
       coalesce(a.withdrawn, 0) AS withdrawn,
       coalesce(a.changed, 0) AS changed,
       coalesce(a.posted_unchanged, 0) AS posted_unchanged,
       coalesce(a.withdrawn, 0) + coalesce(a.changed, 0) AS withdrawn_or_changed,
       coalesce(a.defused, 0) AS defused,
       a.first_withdrawn_or_changed,
       {split_columns},
       coalesce(p.posts, 0) AS posts,
       coalesce(p.toxic_posts, 0) AS toxic_posts,
       coalesce(p.reports, 0) AS reports,
       coalesce(p.removals, 0) AS removals,
       coalesce(p.removals_moderation, 0) AS removals_moderation,
       coalesce(p.removals_creator_single, 0) AS removals_creator_single,
       coalesce(p.removals_creator_bulk, 0) AS removals_creator_bulk,
       coalesce(p.pre_posts, 0) AS pre_posts,
       coalesce(p.pre_toxic_posts, 0) AS pre_toxic_posts,
       coalesce(l.later_attempts_d0_1, 0) AS later_attempts_d0_1,
       coalesce(l.later_attempts_d2_7, 0) AS later_attempts_d2_7,
       coalesce(l.later_attempts_d8_plus, 0) AS later_attempts_d8_plus,
       coalesce(l.exposure_d0_1, 0) AS exposure_d0_1,
       coalesce(l.exposure_d2_7, 0) AS exposure_d2_7,
       coalesce(l.exposure_d8_plus, 0) AS exposure_d8_plus
FROM users u
LEFT JOIN attempts a USING (experiment_id, user_id)
LEFT JOIN post_counts p USING (experiment_id, user_id)
LEFT JOIN learning l USING (experiment_id, user_id);

-- every other user with analysed attempts: the exposure days up to the new end of what can be observed
MERGE INTO user_metrics
USING (
  SELECT experiment_id, user_id,
         greatest(least(observed_days, 2), 0) AS exposure_d0_1,
         greatest(least(observed_days, 8) - 2, 0) AS exposure_d2_7,
         greatest(observed_days - 8, 0) AS exposure_d8_plus
  FROM (
    SELECT a.experiment_id, a.user_id,
           (epoch_us(any_value(o.until)) - epoch_us(min(a.triggered_at))) / 1e6 / 86400.0 AS observed_days
    FROM triggered_attempts a
    JOIN (SELECT x.experiment_id,
                 least(CAST(x.end_date + INTERVAL 1 DAY AS TIMESTAMP), (SELECT max(event_ts) FROM events)) AS until
          FROM registry_experiments x) o USING (experiment_id)
    WHERE a.exclusion IS NULL AND a.user_id NOT IN (SELECT user_id FROM touched_users)
    GROUP BY ALL
  )
) e
ON user_metrics.experiment_id = e.experiment_id AND user_metrics.user_id = e.user_id
WHEN MATCHED THEN UPDATE SET exposure_d0_1 = e.exposure_d0_1, exposure_d2_7 = e.exposure_d2_7,
                             exposure_d8_plus = e.exposure_d8_plus;
