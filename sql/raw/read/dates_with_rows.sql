SELECT DISTINCT arrival_date FROM raw_events WHERE list_contains(CAST($days AS DATE[]), arrival_date)
