SELECT count(*) FROM candidates
