package admins

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

// InviteFor is how long an invite can be accepted.
const InviteFor = 72 * time.Hour

// InvitePathPrefix begins the console link an invite is shown as; the
// token follows it. It sits in the URL's fragment, which browsers never
// send, so the token reaches no access log and no Referer.
const InvitePathPrefix = "/console/#/invite/"

// Invitation describes an admin to invite.
type Invitation struct {
	Email    string
	Role     string
	TenantID int64 // required for RoleTenant, zero for RolePlatform
}

// Invite is a new invite: its token, in Path, exists nowhere else (MySQL
// keeps its SHA-256). Show it once.
type Invite struct {
	Admin     *Admin
	Token     string
	Path      string // InvitePathPrefix + Token
	ExpiresAt time.Time
}

// Invite creates the account of an admin to be, status "invited" and no
// password, and a one-time invite for it that expires after InviteFor.
// Only a platform admin may invite. ErrEmailTaken when the email (in any
// spelling) has an account; tenants.ErrNotFound for no such tenant.
func (m *Accounts) Invite(ctx context.Context, by Actor, inv Invitation) (*Invite, error) {
	if !by.platform() {
		return nil, ErrForbidden
	}
	email, err := NormalizeEmail(inv.Email)
	if err != nil {
		return nil, err
	}
	if err := validRole(inv.Role, inv.TenantID); err != nil {
		return nil, err
	}
	var tenantID any
	if inv.TenantID != 0 {
		tenantID = inv.TenantID
	}
	tx, err := m.store.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res, err := tx.ExecContext(ctx, `INSERT INTO admins (email, password_hash, role, tenant_id, status)
		VALUES (?, '', ?, ?, 'invited')`, email, inv.Role, tenantID)
	if err != nil {
		var me *mysql.MySQLError
		switch {
		case errors.As(err, &me) && me.Number == 1062:
			return nil, ErrEmailTaken
		case errors.As(err, &me) && me.Number == 1452:
			return nil, tenants.ErrNotFound
		}
		return nil, fmt.Errorf("admins: invite: %w", err)
	}
	id, _ := res.LastInsertId()
	iv, err := m.newInvite(ctx, tx, by, id, email, inv.TenantID, "admin.invited", map[string]any{"role": inv.Role})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	if iv.Admin, err = m.store.ByID(ctx, id); err != nil {
		return nil, err
	}
	return iv, nil
}

// ReissueInvite replaces the invite of an admin still invited (a lost or
// expired link) with a new one; the old link stops working.
func (m *Accounts) ReissueInvite(ctx context.Context, by Actor, adminID int64) (*Invite, error) {
	if !by.platform() {
		return nil, ErrForbidden
	}
	tx, err := m.store.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var a Admin
	if err := tx.GetContext(ctx, &a, `SELECT id, email, password_hash, role, tenant_id, status, created_at
		FROM admins WHERE id = ? AND status = 'invited' FOR UPDATE`, adminID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("admins: load: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_invites WHERE admin_id = ? AND used_at IS NULL`, a.ID); err != nil {
		return nil, fmt.Errorf("admins: invite: %w", err)
	}
	iv, err := m.newInvite(ctx, tx, by, a.ID, a.Email, a.TenantID.Int64, "admin.invite_reissued", nil)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	iv.Admin = &a
	return iv, nil
}

func (m *Accounts) newInvite(ctx context.Context, tx *sqlx.Tx, by Actor, adminID int64, email string, tenantID int64, action string, details map[string]any) (*Invite, error) {
	token := randomToken()
	expires := m.now().Add(InviteFor).UTC().Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, `INSERT INTO admin_invites (admin_id, token_hash, expires_at, created_by)
		VALUES (?, ?, ?, ?)`, adminID, inviteHash(token), expires, by.Admin.Email); err != nil {
		return nil, fmt.Errorf("admins: invite: %w", err)
	}
	if details == nil {
		details = map[string]any{}
	}
	details["expires_at"] = expires.Format(time.RFC3339)
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: by.Audit(),
		Action: action, TargetType: "admin", TargetID: email, Details: details}); err != nil {
		return nil, err
	}
	return &Invite{Token: token, Path: InvitePathPrefix + token, ExpiresAt: expires}, nil
}

func inviteHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// AcceptInvite sets the password of the invited admin (CheckPassword) and
// activates it, spending the invite. ErrInvalidInvite for a token unknown,
// used, expired, or whose admin is no longer invited (disabled, removed);
// a password the policy refuses spends nothing.
func (m *Accounts) AcceptInvite(ctx context.Context, token, password, ip string) (*Admin, error) {
	if !wellFormed(token) {
		return nil, ErrInvalidInvite
	}
	type row struct {
		InviteID  int64         `db:"invite_id"`
		AdminID   int64         `db:"admin_id"`
		ExpiresAt time.Time     `db:"expires_at"`
		UsedAt    sql.NullTime  `db:"used_at"`
		Email     string        `db:"email"`
		Status    string        `db:"status"`
		TenantID  sql.NullInt64 `db:"tenant_id"`
	}
	const q = `SELECT i.id AS invite_id, i.admin_id, i.expires_at, i.used_at, a.email, a.status, a.tenant_id
		FROM admin_invites i JOIN admins a ON a.id = i.admin_id WHERE i.token_hash = ?`
	load := func(ex sqlx.QueryerContext, suffix string) (*row, error) {
		var r row
		err := sqlx.GetContext(ctx, ex, &r, q+suffix, inviteHash(token))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrInvalidInvite
		}
		if err != nil {
			return nil, fmt.Errorf("admins: invite: %w", err)
		}
		if r.UsedAt.Valid || !m.now().Before(r.ExpiresAt) || r.Status != "invited" {
			return nil, ErrInvalidInvite
		}
		return &r, nil
	}
	// Checked without locks first: the bcrypt hash (0.2 s) is made
	// outside the transaction, which checks again.
	r, err := load(m.store.db, "")
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(password, r.Email); err != nil {
		return nil, err
	}
	hash, err := m.store.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	tx, err := m.store.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if r, err = load(tx, " FOR UPDATE"); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE admin_invites SET used_at = ? WHERE id = ?`, m.now().UTC(), r.InviteID); err != nil {
		return nil, fmt.Errorf("admins: invite: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE admins SET password_hash = ?, status = 'active' WHERE id = ?`, hash, r.AdminID); err != nil {
		return nil, fmt.Errorf("admins: invite: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: r.TenantID.Int64,
		Actor: audit.Actor{Type: "admin", ID: r.Email, IP: ip}, Action: "admin.invite_accepted",
		TargetType: "admin", TargetID: r.Email}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	return m.store.ByID(ctx, r.AdminID)
}
