-- +goose Up
-- Tenant backends: API keys, JWT signing keys, webhooks and their outbox.

-- api_keys: a tenant backend's credential. Only the SHA-256 of the key is
-- kept; prefix is its first characters, enough for people to tell keys apart.
CREATE TABLE api_keys (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id    BIGINT UNSIGNED NOT NULL,
    name         VARCHAR(64) NOT NULL DEFAULT '',
    prefix       VARCHAR(16) NOT NULL,
    key_hash     BINARY(32) NOT NULL,
    created_by   VARCHAR(254) NOT NULL DEFAULT '',
    created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    last_used_at DATETIME(3) NULL,
    revoked_at   DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_api_keys_hash (key_hash),
    KEY ix_api_keys_tenant (tenant_id, id),
    CONSTRAINT fk_api_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- signing_keys: per-tenant JWT keys. A key is 'next' (published, not yet
-- signing), 'current' (signing; one per tenant) or 'retired' (published
-- until retire_after, when every token it signed has expired).
CREATE TABLE signing_keys (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id      BIGINT UNSIGNED NOT NULL,
    kid            VARCHAR(64) NOT NULL,
    alg            VARCHAR(16) NOT NULL,
    state          ENUM('next', 'current', 'retired') NOT NULL,
    public_key     VARBINARY(512) NOT NULL,
    private_sealed VARBINARY(1024) NOT NULL,
    private_key_id VARCHAR(16) NOT NULL,
    created_at     DATETIME(3) NOT NULL,
    activated_at   DATETIME(3) NULL,
    retired_at     DATETIME(3) NULL,
    retire_after   DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_signing_keys_kid (kid),
    KEY ix_signing_keys_tenant (tenant_id, state),
    CONSTRAINT fk_signing_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- webhook_endpoints: where a tenant wants events sent. events is a
-- comma-separated list; the signing secret is sealed like AppSecrets.
CREATE TABLE webhook_endpoints (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id      BIGINT UNSIGNED NOT NULL,
    url            VARCHAR(2048) NOT NULL,
    description    VARCHAR(256) NOT NULL DEFAULT '',
    events         VARCHAR(512) NOT NULL,
    status         ENUM('active', 'disabled') NOT NULL DEFAULT 'active',
    secret_sealed  VARBINARY(512) NOT NULL,
    secret_key_id  VARCHAR(16) NOT NULL,
    created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_webhook_endpoints_tenant (tenant_id, status),
    CONSTRAINT fk_webhook_endpoints_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- webhook_events is the outbox: one row per event, written in the
-- transaction of the change, only when some endpoint wants the event.
CREATE TABLE webhook_events (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id   BIGINT UNSIGNED NOT NULL,
    public_id   VARCHAR(32) NOT NULL,
    type        VARCHAR(32) NOT NULL,
    payload     JSON NOT NULL,
    created_at  DATETIME(3) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_webhook_events_public (public_id),
    KEY ix_webhook_events_tenant (tenant_id, id),
    CONSTRAINT fk_webhook_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- webhook_deliveries: one per (event, endpoint), plus one per replay. The
-- worker claims due rows with FOR UPDATE SKIP LOCKED and a lease on
-- next_attempt_at, so several nodes never send one delivery at once.
CREATE TABLE webhook_deliveries (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id       BIGINT UNSIGNED NOT NULL,
    endpoint_id     BIGINT UNSIGNED NOT NULL,
    event_id        BIGINT UNSIGNED NOT NULL,
    status          ENUM('pending', 'succeeded', 'failed') NOT NULL DEFAULT 'pending',
    attempts        INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3) NOT NULL,
    give_up_at      DATETIME(3) NOT NULL,
    response_status INT NULL,
    response_body   VARCHAR(2048) NULL,
    last_error      VARCHAR(512) NULL,
    duration_ms     INT UNSIGNED NULL,
    created_at      DATETIME(3) NOT NULL,
    updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY ix_webhook_deliveries_due (status, next_attempt_at),
    KEY ix_webhook_deliveries_tenant (tenant_id, endpoint_id, id),
    CONSTRAINT fk_webhook_deliveries_endpoint FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    CONSTRAINT fk_webhook_deliveries_event FOREIGN KEY (event_id) REFERENCES webhook_events (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
DROP TABLE signing_keys;
DROP TABLE api_keys;
