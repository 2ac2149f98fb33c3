-- +goose Up
-- Usage history for the console's charts, rolled up from Redis's per-day
-- counters by tenants/stats (see docs/console.md, "Charts of use").
-- day is a calendar day in Asia/Shanghai. app_id is the app's row id, 0
-- where the metric is not per app (or the event had no app); way is '' where
-- the metric is not per way. Counts (logins, new_users, failed:<cause>) are
-- per app and way and add up; distinct users (dau, dau_app, dau_way,
-- dau_app_way, mau) have one metric per scope and do not. No foreign key to
-- apps: the history of a deleted app stays.
CREATE TABLE usage_daily (
    tenant_id  BIGINT UNSIGNED NOT NULL,
    day        DATE NOT NULL,
    app_id     BIGINT UNSIGNED NOT NULL DEFAULT 0,
    way        VARCHAR(16) NOT NULL DEFAULT '',
    metric     VARCHAR(48) NOT NULL,
    value      BIGINT UNSIGNED NOT NULL,
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (tenant_id, day, app_id, way, metric),
    KEY ix_usage_daily_day (day),
    CONSTRAINT fk_usage_daily_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE usage_daily;
