-- Bookkeeping after sql/experiment/attempt_outcomes.sql or sql/experiment/attempt_outcomes_incremental.sql: no arrival date waits any
-- longer, and attempt_outcomes now follows the registry whose fingerprint is the parameter registry_fingerprint.
DELETE FROM bookkeeping.attempts_pending;

DELETE FROM bookkeeping.attempts_state;

INSERT INTO bookkeeping.attempts_state VALUES ($registry_fingerprint);
