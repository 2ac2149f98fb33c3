-- +goose Up
-- Console admin accounts and TOTP MFA (docs/console.md, "Admin accounts
-- and MFA").
--
-- An invited admin exists before it has a password: status 'invited', an
-- empty password_hash (no bcrypt hash matches it), active once the invite
-- is accepted.
ALTER TABLE admins MODIFY status ENUM('active', 'disabled', 'invited') NOT NULL DEFAULT 'active';

-- One row per admin that has begun or finished enrolling a TOTP
-- authenticator. Secrets are sealed with the master keyring (the admin id
-- bound in as associated data) and carry the id of the key that sealed
-- them. secret is the confirmed one; pending_secret waits for its first
-- code. last_step is the last TOTP time step accepted: a code is accepted
-- only for a later step, so none is used twice (RFC 6238 §5.2).
CREATE TABLE admin_mfa (
    admin_id       BIGINT UNSIGNED NOT NULL,
    secret         VARBINARY(128) NULL,
    secret_key_id  VARCHAR(16) NULL,
    enabled_at     DATETIME(3) NULL,
    last_step      BIGINT NULL,
    pending_secret VARBINARY(128) NULL,
    pending_key_id VARCHAR(16) NULL,
    pending_since  DATETIME(3) NULL,
    PRIMARY KEY (admin_id),
    CONSTRAINT fk_admin_mfa_admin FOREIGN KEY (admin_id) REFERENCES admins (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Recovery codes: SHA-256 of a per-code random salt and the code, never
-- the code; used_at is set once, when the code is spent.
CREATE TABLE admin_recovery_codes (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    admin_id   BIGINT UNSIGNED NOT NULL,
    salt       BINARY(16) NOT NULL,
    code_hash  BINARY(32) NOT NULL,
    used_at    DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_admin_recovery_codes_admin (admin_id),
    CONSTRAINT fk_admin_recovery_codes_admin FOREIGN KEY (admin_id) REFERENCES admins (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One-time invites: the SHA-256 of the token, never the token.
CREATE TABLE admin_invites (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    admin_id   BIGINT UNSIGNED NOT NULL,
    token_hash BINARY(32) NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    used_at    DATETIME(3) NULL,
    created_by VARCHAR(254) NOT NULL DEFAULT '',
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_admin_invites_token (token_hash),
    KEY ix_admin_invites_admin (admin_id),
    CONSTRAINT fk_admin_invites_admin FOREIGN KEY (admin_id) REFERENCES admins (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Platform-wide settings, one row per name (e.g. require_mfa_platform).
CREATE TABLE platform_settings (
    name       VARCHAR(64) NOT NULL,
    value      VARCHAR(255) NOT NULL,
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE platform_settings;
DROP TABLE admin_invites;
DROP TABLE admin_recovery_codes;
DROP TABLE admin_mfa;
-- Invited admins never had a password: they go with the status.
DELETE FROM admins WHERE status = 'invited';
ALTER TABLE admins MODIFY status ENUM('active', 'disabled') NOT NULL DEFAULT 'active';
