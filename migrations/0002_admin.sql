-- +goose Up
-- Indexes for the admin console: keyset pages of a tenant's users, "logged
-- in today", and the audit log filtered within one tenant.
CREATE INDEX ix_users_tenant_id ON users (tenant_id, id);
CREATE INDEX ix_users_tenant_last_login ON users (tenant_id, last_login_at);
CREATE INDEX ix_audit_tenant_action ON audit_log (tenant_id, action, id);
CREATE INDEX ix_audit_tenant_target ON audit_log (tenant_id, target_type, target_id, id);
CREATE INDEX ix_audit_actor ON audit_log (actor_id, id);

-- +goose Down
DROP INDEX ix_audit_actor ON audit_log;
DROP INDEX ix_audit_tenant_target ON audit_log;
DROP INDEX ix_audit_tenant_action ON audit_log;
DROP INDEX ix_users_tenant_last_login ON users;
DROP INDEX ix_users_tenant_id ON users;
