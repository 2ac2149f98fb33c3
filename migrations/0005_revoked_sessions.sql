-- +goose Up
-- A session ended one by one (logout, an admin revoking it) is remembered
-- here until its absolute expiry, so that Redis restored from an older
-- snapshot cannot bring it back. Whole users and tenants are revoked by
-- their epochs instead.
CREATE TABLE revoked_sessions (
    tenant_id  BIGINT UNSIGNED NOT NULL,
    session_id CHAR(43) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id    BIGINT UNSIGNED NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    PRIMARY KEY (tenant_id, session_id),
    KEY ix_revoked_sessions_expires (expires_at)
) ENGINE = InnoDB;

-- +goose Down
DROP TABLE revoked_sessions;
