-- After the command line's progress display: DuckDB's progress tracking back to its defaults.
RESET enable_progress_bar;
RESET enable_progress_bar_print;
