-- What sql/metrics/user_metrics_incremental.sql may rely on (as sql/experiment/read/attempts_state.sql for
-- attempt_outcomes): the registry now (a fingerprint of its rows) and when user_metrics was last computed
-- (stored_fingerprint, NULL before the first time), the arrival dates loaded since (user_metrics_pending: how many,
-- the oldest, whether rows that had been processed were replaced), the newest arrival date already processed, and
-- how many loaded dates the steps before it have not processed yet (upstream_pending: their tables are not current).
SELECT (SELECT md5(coalesce(string_agg(r, '|' ORDER BY r), ''))
        FROM (SELECT CAST(x AS VARCHAR) AS r FROM registry_experiments x
              UNION ALL SELECT CAST(v AS VARCHAR) FROM registry_variants v)) AS registry_fingerprint,
       (SELECT any_value(registry_fingerprint) FROM bookkeeping.user_metrics_state) AS stored_fingerprint,
       count(*) AS pending_dates, coalesce(bool_or(complete), false) AS complete,
       min(arrival_date) AS oldest_pending,
       (SELECT max(arrival_date) FROM bookkeeping.loaded_partitions
        WHERE arrival_date NOT IN (SELECT arrival_date FROM bookkeeping.user_metrics_pending)) AS processed_until,
       (SELECT count(*) FROM bookkeeping.dedup_pending) + (SELECT count(*) FROM bookkeeping.attempts_pending)
         AS upstream_pending
FROM bookkeeping.user_metrics_pending;
