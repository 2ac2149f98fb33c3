-- +goose Up
-- A ban names its reason and may end by itself (docs/console.md, "Users"):
-- a user whose banned_until has passed logs in again without anyone
-- lifting the ban.
ALTER TABLE users
    ADD COLUMN ban_reason   VARCHAR(200) COLLATE utf8mb4_unicode_ci NULL AFTER status,
    ADD COLUMN banned_until DATETIME(3) NULL AFTER ban_reason;

-- +goose Down
ALTER TABLE users
    DROP COLUMN banned_until,
    DROP COLUMN ban_reason;
