-- +goose Up
-- Registration (issue 4): users imported by a tenant before they ever open
-- the mini-program carry the tenant's own id for them; merged users leave a
-- record so that nothing about them is lost and their old public id still
-- resolves. Allowed origins and redirect URIs live in tenants.settings;
-- official-account apps use apps.kind = 'officialaccount'.
ALTER TABLE users
    ADD COLUMN external_id VARCHAR(64) NULL AFTER unionid,
    ADD UNIQUE KEY uq_users_tenant_external (tenant_id, external_id);

-- user_merges: one row per merge. The loser's row is deleted once its
-- identities and fields have moved to the winner; snapshot keeps every
-- column it had.
CREATE TABLE user_merges (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id       BIGINT UNSIGNED NOT NULL,
    winner_id       BIGINT UNSIGNED NOT NULL,
    loser_public_id VARCHAR(32) NOT NULL,
    reason          VARCHAR(32) NOT NULL,
    snapshot        JSON NOT NULL,
    created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_user_merges_loser (loser_public_id),
    KEY ix_user_merges_winner (tenant_id, winner_id),
    CONSTRAINT fk_user_merges_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE user_merges;
ALTER TABLE users DROP KEY uq_users_tenant_external, DROP COLUMN external_id;
