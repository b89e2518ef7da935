-- One row that identifies this database as a NestCMS installation.
-- The id is generated in Rust after migrations run, so both backends share the code path.
CREATE TABLE installation (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
