-- The results-v1 tables that Python computes (pipelines/results.py: the statistics leave SQL as sufficient
-- statistics and come back as rows), created empty once so that readers find them before the first analysis.
-- Their columns are the contract's (results-v1), generated from pipelines/results.py's RESULT_TYPES and SRM_TYPES.
CREATE TABLE IF NOT EXISTS experiment_results ({experiment_results_columns});
CREATE TABLE IF NOT EXISTS sample_ratio_checks ({sample_ratio_checks_columns});
