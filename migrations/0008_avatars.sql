-- +goose Up
-- Avatars uploaded from the mini-program (POST /t/{tenant}/me/avatar) and
-- served by the product at /t/{tenant}/avatars/{public_id}. public_id is
-- random, so URLs cannot be enumerated; a user keeps only the latest one,
-- and deleting the user deletes it.
CREATE TABLE avatars (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id    BIGINT UNSIGNED NOT NULL,
    user_id      BIGINT UNSIGNED NOT NULL,
    public_id    VARCHAR(32) NOT NULL,
    content_type VARCHAR(32) NOT NULL,
    etag         CHAR(32) NOT NULL,
    data         MEDIUMBLOB NOT NULL,
    created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_avatars_tenant_public_id (tenant_id, public_id),
    KEY ix_avatars_tenant_user (tenant_id, user_id),
    CONSTRAINT fk_avatars_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_avatars_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Official accounts' domain verification files (MP_verify_*.txt), served
-- at the root of the product's domain: one name names one file across all
-- tenants.
CREATE TABLE mp_verify_files (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id  BIGINT UNSIGNED NOT NULL,
    name       VARCHAR(64) NOT NULL,
    content    VARBINARY(64) NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_mp_verify_files_name (name),
    KEY ix_mp_verify_files_tenant (tenant_id),
    CONSTRAINT fk_mp_verify_files_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE mp_verify_files;
DROP TABLE avatars;
