-- The language each person's messages are written in (issue 12): receipts, reminders and the
-- rest. Existing accounts keep English until they choose.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ar'));
