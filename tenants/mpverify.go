package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
	"miniauth/tenants/audit"
)

// An official account's web-authorization domain must serve the file
// WeChat's console hands out, MP_verify_<token>.txt, from its root. Each
// tenant uploads its own; a name belongs to one tenant.

// Errors of verification files.
var (
	ErrNoVerifyFile    = errors.New("tenants: no such verification file")
	ErrVerifyFileTaken = errors.New("tenants: verification file name taken by another tenant")
)

var verifyNameRe = regexp.MustCompile(`^MP_verify_[A-Za-z0-9]{1,32}\.txt$`)

// MaxVerifyFileSize bounds a verification file's content, in bytes.
const MaxVerifyFileSize = 64

// ValidVerifyFileName reports whether name is an MP_verify_*.txt name.
func ValidVerifyFileName(name string) bool { return verifyNameRe.MatchString(name) }

// VerifyFile is one MP_verify_*.txt file of a tenant.
type VerifyFile struct {
	TenantID  int64     `db:"tenant_id"`
	Name      string    `db:"name"`
	Content   []byte    `db:"content"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

func validVerifyFile(name string, content []byte) error {
	if !ValidVerifyFileName(name) {
		return Invalid(`the name must match ^MP_verify_[A-Za-z0-9]{1,32}\.txt$`)
	}
	if len(content) == 0 || len(content) > MaxVerifyFileSize {
		return Invalid("the content must be 1 to 64 bytes")
	}
	for _, b := range content {
		if b < 0x20 || b > 0x7e {
			return Invalid("the content must be printable ASCII text, as WeChat's file is")
		}
	}
	return nil
}

// PutVerifyFile creates or replaces a tenant's verification file, and
// audits it. A name another tenant has is ErrVerifyFileTaken.
func (r *Registry) PutVerifyFile(ctx context.Context, tenantID int64, name string, content []byte, actor audit.Actor) error {
	if err := validVerifyFile(name, content); err != nil {
		return err
	}
	return r.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		var owner int64
		err := tx.GetContext(ctx, &owner, `SELECT tenant_id FROM mp_verify_files WHERE name = ? FOR UPDATE`, name)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO mp_verify_files (tenant_id, name, content) VALUES (?, ?, ?)`,
				tenantID, name, content); err != nil {
				return mapDup(err, ErrVerifyFileTaken) // another tenant's insert won the race
			}
		case err != nil:
			return fmt.Errorf("tenants: verification file: %w", err)
		case owner != tenantID:
			return ErrVerifyFileTaken
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE mp_verify_files SET content = ? WHERE name = ?`, content, name); err != nil {
				return fmt.Errorf("tenants: verification file: %w", err)
			}
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "mp_verify.uploaded",
			TargetType: "mp_verify_file", TargetID: name, Details: map[string]any{"content": string(content)}})
	})
}

// VerifyFiles lists a tenant's verification files by name.
func (r *Registry) VerifyFiles(ctx context.Context, tenantID int64) ([]VerifyFile, error) {
	out := []VerifyFile{}
	if err := r.db.SelectContext(ctx, &out, `SELECT tenant_id, name, content, created_at, updated_at
		FROM mp_verify_files WHERE tenant_id = ? ORDER BY name`, tenantID); err != nil {
		return nil, fmt.Errorf("tenants: verification files: %w", err)
	}
	return out, nil
}

// VerifyFile loads a verification file by name, whichever tenant has it:
// the file is served at the domain's root, outside any tenant's path.
func (r *Registry) VerifyFile(ctx context.Context, name string) (*VerifyFile, error) {
	if !ValidVerifyFileName(name) {
		return nil, ErrNoVerifyFile
	}
	var f VerifyFile
	err := r.db.GetContext(ctx, &f, `SELECT tenant_id, name, content, created_at, updated_at
		FROM mp_verify_files WHERE name = ?`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoVerifyFile
	}
	if err != nil {
		return nil, fmt.Errorf("tenants: verification file: %w", err)
	}
	return &f, nil
}

// DeleteVerifyFile removes a tenant's verification file, and audits it.
func (r *Registry) DeleteVerifyFile(ctx context.Context, tenantID int64, name string, actor audit.Actor) error {
	return r.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM mp_verify_files WHERE tenant_id = ? AND name = ?`, tenantID, name)
		if err != nil {
			return fmt.Errorf("tenants: verification file: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoVerifyFile
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "mp_verify.deleted",
			TargetType: "mp_verify_file", TargetID: name})
	})
}
