-- What sql/experiment/attempt_outcomes_incremental.sql may rely on: the registry now (a fingerprint of its rows) and when
-- attempt_outcomes was last computed (stored_fingerprint, NULL before the first time), the arrival dates loaded
-- since (attempts_pending: how many, the oldest, whether rows that had been processed were replaced), and the
-- newest arrival date already processed.
SELECT (SELECT md5(coalesce(string_agg(r, '|' ORDER BY r), ''))
        FROM (SELECT CAST(x AS VARCHAR) AS r FROM registry_experiments x
              UNION ALL SELECT CAST(v AS VARCHAR) FROM registry_variants v)) AS registry_fingerprint,
       (SELECT any_value(registry_fingerprint) FROM bookkeeping.attempts_state) AS stored_fingerprint,
       count(*) AS pending_dates, coalesce(bool_or(complete), false) AS complete,
       min(arrival_date) AS oldest_pending,
       (SELECT max(arrival_date) FROM bookkeeping.loaded_partitions
        WHERE arrival_date NOT IN (SELECT arrival_date FROM bookkeeping.attempts_pending)) AS processed_until
FROM bookkeeping.attempts_pending;
