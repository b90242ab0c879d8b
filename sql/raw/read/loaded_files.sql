-- What each file of one arrival date gave, as loaded (the counts a partition's materialisation reports).
SELECT finding, rows_read, rows_valid, rows_quarantined FROM ingested_files WHERE arrival_date = $arrival_date
