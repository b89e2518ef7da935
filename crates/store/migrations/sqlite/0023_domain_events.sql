-- Domain events beyond payments (issue 12): offers, contracts and projects, in one envelope,
-- written in the same transaction as the change each reports. Consumers mark them in
-- consumer_marks like payment events (ids are BLOBv7 across both logs).
CREATE TABLE domain_events (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    subject_id BLOB NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    traceparent TEXT,
    tracestate TEXT
) STRICT;
CREATE INDEX domain_events_created_idx ON domain_events (created_at, id);
CREATE INDEX domain_events_subject_idx ON domain_events (subject_id, created_at);
