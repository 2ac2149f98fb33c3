-- +goose Up
-- Ways in beyond the mini-program (DESIGN.md §10): Open Platform mobile
-- applications (the WeChat app's SendAuth login) and website applications
-- (QR login), each with its own AppID and sealed AppSecret like the kinds
-- before them.
ALTER TABLE apps
    MODIFY COLUMN kind ENUM('miniprogram', 'officialaccount', 'mobileapp', 'website') NOT NULL DEFAULT 'miniprogram';

-- +goose Down
-- The old column cannot hold the new kinds: their apps go, and with them
-- (by the foreign key) the identities that signed in through them.
DELETE FROM apps WHERE kind IN ('mobileapp', 'website');
ALTER TABLE apps
    MODIFY COLUMN kind ENUM('miniprogram', 'officialaccount') NOT NULL DEFAULT 'miniprogram';
