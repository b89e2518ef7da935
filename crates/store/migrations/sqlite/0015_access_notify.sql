-- Version kept in step with PostgreSQL's 0015, which adds the triggers that tell other
-- instances about access changes. One instance owns an SQLite file, so there is nothing to
-- tell: its own writes invalidate its cache directly.
SELECT 1;
