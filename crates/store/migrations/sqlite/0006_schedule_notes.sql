-- Notes attached to a schedule item (project and design notes live in `notes`).
CREATE TABLE schedule_notes (
    id BLOB PRIMARY KEY,
    schedule_id BLOB NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    author_id BLOB NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    read_at TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX schedule_notes_schedule_idx ON schedule_notes (schedule_id, id);
CREATE INDEX contract_employees_user_idx ON contract_employees (user_id);
