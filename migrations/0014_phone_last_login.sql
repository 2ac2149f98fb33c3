-- +goose Up
-- The phone number is a way in too (SMS codes): its last use is shown with
-- the identities' (GET /me/identities, the console's user page).
ALTER TABLE users ADD COLUMN phone_last_login_at DATETIME(3) NULL AFTER last_login_at;

-- +goose Down
ALTER TABLE users DROP COLUMN phone_last_login_at;
