-- DuckDB tracks a statement's progress only with its progress bar on; it is not printed: the command line's own
-- progress display polls it (pipelines/progress.py).
SET enable_progress_bar = true;
SET enable_progress_bar_print = false;
