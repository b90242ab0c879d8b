-- Warehouses written before `events` became a view (sql/raw/events.sql) hold it as a table: it goes.
DROP TABLE events;
