package users

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/jmoiron/sqlx"
)

// MaxAvatarSize is the largest avatar accepted, in bytes.
const MaxAvatarSize = 1 << 20

// Avatar content types: what the chooseAvatar picker produces, as net/http
// sniffs them.
var avatarTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// ErrNotImage: the upload is not a JPEG, PNG or WebP image by its content.
var ErrNotImage = errors.New("users: avatar is not a JPEG, PNG or WebP image")

// ErrTooLarge: the upload is over MaxAvatarSize.
var ErrTooLarge = errors.New("users: avatar is over 1 MiB")

// ErrNoAvatar: no avatar of the tenant has that public id.
var ErrNoAvatar = errors.New("users: no such avatar")

// Avatar is an uploaded avatar as it is served.
type Avatar struct {
	PublicID    string `db:"public_id"`
	ContentType string `db:"content_type"`
	ETag        string `db:"etag"`
	Data        []byte `db:"data"`
}

// AvatarType sniffs data (never trusting a file name or a declared type)
// and returns its content type, or ErrNotImage.
func AvatarType(data []byte) (string, error) {
	ct := http.DetectContentType(data)
	if !avatarTypes[ct] {
		return "", ErrNotImage
	}
	return ct, nil
}

// SetAvatar stores data as the user's avatar and points avatar_url at it:
// urlPrefix + the avatar's random public id. The user's previous uploads
// are deleted in the same transaction (a user has one uploaded avatar;
// old URLs then answer 404).
func (s *Store) SetAvatar(ctx context.Context, tenantID, userID int64, data []byte, urlPrefix string) (*User, error) {
	if len(data) > MaxAvatarSize {
		return nil, ErrTooLarge
	}
	ct, err := AvatarType(data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	a := Avatar{PublicID: "av_" + newPublicID()[2:], ContentType: ct, ETag: hex.EncodeToString(sum[:16]), Data: data}
	var updated *User
	err = s.manageTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := lockUser(ctx, tx, tenantID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM avatars WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
			return fmt.Errorf("users: prune avatars: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO avatars (tenant_id, user_id, public_id, content_type, etag, data) VALUES (?, ?, ?, ?, ?, ?)`,
			tenantID, userID, a.PublicID, a.ContentType, a.ETag, a.Data); err != nil {
			return fmt.Errorf("users: insert avatar: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET avatar_url = ? WHERE id = ? AND tenant_id = ?`,
			urlPrefix+a.PublicID, userID, tenantID); err != nil {
			return fmt.Errorf("users: set avatar: %w", err)
		}
		u, err := lockUser(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		updated = u
		return s.emit(ctx, tx, EventUpdated, u, "")
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx, tenantID, userID)
	return updated, nil
}

// AvatarByPublicID loads an uploaded avatar of a tenant.
func (s *Store) AvatarByPublicID(ctx context.Context, tenantID int64, publicID string) (*Avatar, error) {
	var a Avatar
	err := s.db.GetContext(ctx, &a,
		`SELECT public_id, content_type, etag, data FROM avatars WHERE tenant_id = ? AND public_id = ?`, tenantID, publicID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoAvatar
	}
	if err != nil {
		return nil, fmt.Errorf("users: load avatar: %w", err)
	}
	return &a, nil
}
