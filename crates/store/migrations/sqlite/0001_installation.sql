-- One row that identifies this database as a NestCMS installation.
-- The id is generated in Rust after migrations run, so both backends share the code path.
CREATE TABLE installation (
    singleton INTEGER PRIMARY KEY DEFAULT 1 CHECK (singleton = 1),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
