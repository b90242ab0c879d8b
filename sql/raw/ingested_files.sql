-- One ingested_files row per file of the load, from the reader's reports (the registered table file_reports);
-- a file that could not be read, or whose gzip is damaged, is also a quarantine row of its own (no line
-- number), so that the data-quality figures count it (docs/definitions.md §1).
INSERT INTO ingested_files
SELECT arrival_date, source_file, file_format, rows_read, rows_valid, rows_quarantined, finding, detail
FROM file_reports;
INSERT INTO quarantined_events (arrival_date, source_file, reason, detail)
SELECT arrival_date, source_file, finding, detail FROM file_reports
WHERE finding IN ('unreadable_file', 'corrupt_gzip');
