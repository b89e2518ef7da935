-- Version kept in step with PostgreSQL's 0016, which adds the triggers that tell other
-- instances when an organization's dashboard figures change. One instance owns an SQLite
-- file: its own writes forget its figures directly.
SELECT 1;
