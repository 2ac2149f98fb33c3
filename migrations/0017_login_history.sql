-- +goose Up
-- A user's logins, newest last (docs/performance.md, "Login history in
-- MySQL"): written in batches by tenants/loginlog, read newest first by the
-- console, kept loginlog.Retention. No foreign keys, so that a batch's
-- insert costs no lookups: deleting a user or a tenant deletes its rows in
-- the same transaction, and a merge moves the loser's rows to the winner.
CREATE TABLE login_history (
    id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id BIGINT UNSIGNED NOT NULL,
    user_id   BIGINT UNSIGNED NOT NULL,
    at        DATETIME(3) NOT NULL,
    app_id    BIGINT UNSIGNED NULL,
    ip        VARCHAR(45) NOT NULL DEFAULT '',
    device    VARCHAR(64) NOT NULL DEFAULT '',
    way       VARCHAR(16) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    KEY ix_login_history_user (tenant_id, user_id, at),
    KEY ix_login_history_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE login_history;
