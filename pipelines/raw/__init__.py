"""The raw layer (assets/raw.py, sql/raw/): which files of an arrival date are read (discovery.py), staging them
as candidate rows (ingest.py; JSONL through ingest_jsonl.py, gzip_stream.py and ingest_json.py, Parquet through
ingest_parquet.py), DuckDB's spill folder (spill.py) and the load itself (warehouse.py)."""
