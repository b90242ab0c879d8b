-- After loading arrival dates: the settings of sql/duckdb/bulk_load_settings.sql back to their defaults.
RESET preserve_insertion_order;
RESET disabled_optimizers;
