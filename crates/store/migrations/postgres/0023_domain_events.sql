-- Domain events beyond payments (issue 12): offers, contracts and projects, in one envelope,
-- written in the same transaction as the change each reports. Consumers mark them in
-- consumer_marks like payment events (ids are UUIDv7 across both logs).
CREATE TABLE domain_events (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    subject_id UUID NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    traceparent TEXT,
    tracestate TEXT
);
CREATE INDEX domain_events_created_idx ON domain_events (created_at, id);
CREATE INDEX domain_events_subject_idx ON domain_events (subject_id, created_at);
