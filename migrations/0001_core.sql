-- +goose Up
CREATE TABLE tenants (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    slug          VARCHAR(32)  NOT NULL,
    name          VARCHAR(128) NOT NULL,
    status        ENUM('active', 'disabled') NOT NULL DEFAULT 'active',
    settings      JSON NOT NULL,
    session_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,
    created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_tenants_slug (slug)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE apps (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id     BIGINT UNSIGNED NOT NULL,
    kind          ENUM('miniprogram', 'officialaccount') NOT NULL DEFAULT 'miniprogram',
    appid         VARCHAR(32) NOT NULL,
    secret_sealed VARBINARY(512) NOT NULL,
    secret_key_id VARCHAR(16) NOT NULL,
    is_default    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_apps_appid (appid),
    KEY ix_apps_tenant (tenant_id),
    CONSTRAINT fk_apps_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE users (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id     BIGINT UNSIGNED NOT NULL,
    public_id     VARCHAR(32) NOT NULL,
    nickname      VARCHAR(64) COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '',
    avatar_url    VARCHAR(512) NOT NULL DEFAULT '',
    phone         VARCHAR(32) NULL,
    unionid       VARCHAR(64) NULL,
    status        ENUM('active', 'banned') NOT NULL DEFAULT 'active',
    session_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0,
    created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    last_login_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_public_id (public_id),
    UNIQUE KEY uq_users_tenant_unionid (tenant_id, unionid),
    UNIQUE KEY uq_users_tenant_phone (tenant_id, phone),
    KEY ix_users_tenant_nickname (tenant_id, nickname),
    CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE identities (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id     BIGINT UNSIGNED NOT NULL,
    user_id       BIGINT UNSIGNED NOT NULL,
    app_id        BIGINT UNSIGNED NOT NULL,
    openid        VARCHAR(64) NOT NULL,
    unionid       VARCHAR(64) NULL,
    created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    last_login_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_identities_app_openid (app_id, openid),
    KEY ix_identities_tenant_user (tenant_id, user_id),
    KEY ix_identities_tenant_openid (tenant_id, openid),
    KEY ix_identities_tenant_unionid (tenant_id, unionid),
    CONSTRAINT fk_identities_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_identities_app FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE admins (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    email         VARCHAR(254) COLLATE utf8mb4_unicode_ci NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role          ENUM('platform', 'tenant') NOT NULL,
    tenant_id     BIGINT UNSIGNED NULL,
    status        ENUM('active', 'disabled') NOT NULL DEFAULT 'active',
    created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    last_login_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_admins_email (email),
    KEY ix_admins_tenant (tenant_id),
    CONSTRAINT fk_admins_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- audit_log keeps no foreign keys on purpose: an entry outlives the tenant,
-- user or admin it is about (it is the tombstone).
CREATE TABLE audit_log (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id   BIGINT UNSIGNED NULL,
    actor_type  VARCHAR(16) NOT NULL,
    actor_id    VARCHAR(254) NOT NULL DEFAULT '',
    action      VARCHAR(64) NOT NULL,
    target_type VARCHAR(32) NOT NULL DEFAULT '',
    target_id   VARCHAR(64) NOT NULL DEFAULT '',
    ip          VARCHAR(45) NOT NULL DEFAULT '',
    details     JSON NULL,
    created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_audit_tenant (tenant_id, id),
    KEY ix_audit_action (action, id),
    KEY ix_audit_target (target_type, target_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE audit_log;
DROP TABLE admins;
DROP TABLE identities;
DROP TABLE users;
DROP TABLE apps;
DROP TABLE tenants;
