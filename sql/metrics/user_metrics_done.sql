-- Bookkeeping after sql/metrics/user_metrics.sql or sql/metrics/user_metrics_incremental.sql: no arrival date waits
-- any longer, and user_metrics now follows the registry whose fingerprint is the parameter registry_fingerprint.
DELETE FROM bookkeeping.user_metrics_pending;

DELETE FROM bookkeeping.user_metrics_state;

INSERT INTO bookkeeping.user_metrics_state VALUES ($registry_fingerprint);
