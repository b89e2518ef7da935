-- Platform operators run the service itself (circuit breakers, later the operations console).
-- A flag of the account, granted only from the command line, separate from organization roles.
ALTER TABLE users ADD COLUMN platform_operator BOOLEAN NOT NULL DEFAULT FALSE;
