-- +goose Up
-- Admin emails are normalised by the application (admins.NormalizeEmail:
-- format characters dropped, NFKC, lower case) and compared byte for byte:
-- under utf8mb4_unicode_ci "admína@x" and "admin@x" were one admin, reached
-- by spellings the sign-in lockout counted apart. SQL cannot apply NFKC;
-- lower casing the stored values is what it can do, and no two of them can
-- collide since the old collation already held them unique without case.
UPDATE admins SET email = LOWER(email);
ALTER TABLE admins MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- An audit target or actor may be an email (up to 254 characters): a
-- 64-character target_id made the insert of a longer one fail.
ALTER TABLE audit_log MODIFY target_id VARCHAR(254) NOT NULL DEFAULT '';

-- +goose Down
-- Fails with a duplicate key while two admins' emails are one under the old
-- collation (an accent apart); remove one of them first.
UPDATE audit_log SET target_id = LEFT(target_id, 64) WHERE CHAR_LENGTH(target_id) > 64;
ALTER TABLE audit_log MODIFY target_id VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE admins MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL;
