-- +goose Up
-- identities had two indexes for one question, "this user's identities":
-- ix_identities_tenant_user (tenant_id, user_id), and (user_id), which
-- MariaDB made for fk_identities_user because the first does not begin
-- with user_id. Every query asks for a user's identities by user_id (and
-- the tenant, which the few rows a user has settle), so (user_id) alone
-- serves them and the foreign key; the other was one more entry to write
-- for every identity (docs/performance.md, "Issue 18, fifth round").
ALTER TABLE identities DROP INDEX ix_identities_tenant_user;

-- +goose Down
ALTER TABLE identities ADD INDEX ix_identities_tenant_user (tenant_id, user_id);
