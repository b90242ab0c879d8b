-- The experiment registry (experiments.yml, validated by pipelines/registry.py) as the two small tables the SQL
-- joins against. Its entries arrive as rows of the registered tables incoming_experiments and incoming_variants
-- (values bound as data, never as SQL text).
CREATE OR REPLACE TABLE registry_experiments (
  experiment_id VARCHAR PRIMARY KEY, start_date DATE, end_date DATE, control VARCHAR,
  trigger_threshold DOUBLE, band_edge DOUBLE, guardrail_margin DOUBLE
);

INSERT INTO registry_experiments
SELECT experiment_id, start_date, end_date, control, trigger_threshold, band_edge, guardrail_margin
FROM incoming_experiments;

CREATE OR REPLACE TABLE registry_variants (experiment_id VARCHAR, variant VARCHAR, planned_share DOUBLE);

INSERT INTO registry_variants
SELECT experiment_id, variant, planned_share
FROM incoming_variants;
