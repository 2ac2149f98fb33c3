-- +goose Up
-- A tenant's SMS provider for one-time login codes (POST /t/{tenant}/sms/send).
-- The provider's secret (Tencent SecretKey, Alibaba AccessKey secret) is
-- sealed with the master key, bound to the tenant, provider and key id;
-- it is write-only: set or rotated, never read back. Zero budgets take the
-- defaults of the code (tenants/sms Limits), so changing a default reaches
-- every tenant that did not choose its own.
CREATE TABLE sms_settings (
    tenant_id          BIGINT UNSIGNED NOT NULL,
    provider           VARCHAR(16) NOT NULL,
    access_key_id      VARCHAR(128) NOT NULL,
    secret_sealed      VARBINARY(512) NOT NULL,
    secret_key_id      VARCHAR(16) NOT NULL,
    sdk_app_id         VARCHAR(32) NOT NULL DEFAULT '',
    region             VARCHAR(32) NOT NULL DEFAULT '',
    sign_name          VARCHAR(64) NOT NULL,
    template_id        VARCHAR(64) NOT NULL,
    template_params    VARCHAR(255) NOT NULL DEFAULT '',
    allowed_prefixes   VARCHAR(255) NOT NULL DEFAULT '+86',
    phone_per_minute   INT NOT NULL DEFAULT 0,
    phone_per_hour     INT NOT NULL DEFAULT 0,
    phone_per_day      INT NOT NULL DEFAULT 0,
    address_per_hour   INT NOT NULL DEFAULT 0,
    address_per_day    INT NOT NULL DEFAULT 0,
    tenant_per_day     INT NOT NULL DEFAULT 0,
    created_at         DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at         DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (tenant_id),
    CONSTRAINT fk_sms_settings_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE sms_settings;
