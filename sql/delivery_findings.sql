-- Redundant copies of already delivered events, per arrival date of the copy; `conflicting` when the copy's
-- content differs from the kept one (the contract promises identical content).
CREATE OR REPLACE TABLE delivery_findings AS
WITH copies AS (
  SELECT r.arrival_date, r.event_id,
         row_number() OVER (PARTITION BY r.event_id ORDER BY r.arrival_date, r.source_file, r.line_no) AS copy_no,
         {content_columns}
  FROM raw_events r
  WHERE r.event_id IN (SELECT event_id FROM raw_events GROUP BY event_id HAVING count(*) > 1)
), firsts AS (SELECT * FROM copies WHERE copy_no = 1)
SELECT c.arrival_date, 'duplicate_event' AS reason, count(*) AS count
FROM copies c WHERE c.copy_no > 1 GROUP BY ALL
UNION ALL
SELECT c.arrival_date, 'conflicting_duplicate' AS reason, count(*) AS count
FROM copies c JOIN firsts f USING (event_id)
WHERE c.copy_no > 1 AND NOT ({same_content})
GROUP BY ALL;
