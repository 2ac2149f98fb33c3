-- +goose Up
-- Two indexes of identities that no lookup needs, each one more entry to
-- write for every new identity (docs/performance.md, "Issue 18, sixth
-- round"):
--   ix_identities_tenant_unionid (tenant_id, unionid): no query looks an
--   identity up by its unionid; a unionid is looked up on users, where
--   uq_users_tenant_unionid holds it once per person.
--   ix_identities_tenant_openid (tenant_id, openid): only the console's
--   search by openid used it; it now asks each of the tenant's apps
--   through uq_identities_app_openid (app_id, openid), which every login
--   uses already (a tenant has a handful of apps).
ALTER TABLE identities DROP INDEX ix_identities_tenant_unionid, DROP INDEX ix_identities_tenant_openid;

-- +goose Down
ALTER TABLE identities ADD INDEX ix_identities_tenant_openid (tenant_id, openid), ADD INDEX ix_identities_tenant_unionid (tenant_id, unionid);
