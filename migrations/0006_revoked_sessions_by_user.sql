-- +goose Up
-- A user's cached view on the request path (tenants/users/cache.go) reads
-- the sessions of that user revoked one by one: by user, not by session.
ALTER TABLE revoked_sessions ADD KEY ix_revoked_sessions_user (tenant_id, user_id, expires_at);

-- +goose Down
ALTER TABLE revoked_sessions DROP KEY ix_revoked_sessions_user;
