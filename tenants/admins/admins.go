// Package admins keeps the people who run the platform (role "platform")
// and the tenants (role "tenant"), with their password hashes.
package admins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

// Roles.
const (
	RolePlatform = "platform"
	RoleTenant   = "tenant"
)

// Errors of the admins domain.
var (
	ErrNotFound    = errors.New("admins: not found")
	ErrEmailTaken  = errors.New("admins: email already registered")
	ErrBadPassword = errors.New("admins: wrong email or password")
)

// Admin is a console account.
type Admin struct {
	ID           int64         `db:"id"`
	Email        string        `db:"email"`
	PasswordHash string        `db:"password_hash"`
	Role         string        `db:"role"`
	TenantID     sql.NullInt64 `db:"tenant_id"`
	Status       string        `db:"status"`
	CreatedAt    time.Time     `db:"created_at"`
}

// Store keeps admins in MySQL.
type Store struct {
	db   *sqlx.DB
	gate *Gate // bounds the bcrypt work of Create and Authenticate
}

// NewStore returns a Store over db whose password checks go through a
// default Gate (NewGate(0, 0)) unless WithGate gives one.
func NewStore(db *sqlx.DB, opts ...Option) *Store {
	s := &Store{db: db, gate: NewGate(0, 0)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Option completes a Store at construction.
type Option func(*Store)

// WithGate makes the store's password checks share g.
func WithGate(g *Gate) Option { return func(s *Store) { s.gate = g } }

// New describes an admin to create.
type New struct {
	Email    string
	Password string
	Role     string
	TenantID int64 // required for RoleTenant, zero for RolePlatform
	Actor    audit.Actor
}

func (n *New) validate() error {
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return err
	}
	n.Email = email
	if err := CheckPassword(n.Password, email); err != nil {
		return err
	}
	return validRole(n.Role, n.TenantID)
}

func validRole(role string, tenantID int64) error {
	switch {
	case role == RolePlatform && tenantID != 0:
		return tenants.Invalid("a platform admin belongs to no tenant")
	case role == RoleTenant && tenantID == 0:
		return tenants.Invalid("a tenant admin needs a tenant")
	case role != RolePlatform && role != RoleTenant:
		return tenants.Invalid("role must be platform or tenant")
	}
	return nil
}

// bcryptCost is bcrypt's work factor: about 0.2 s per hash on a server core.
const bcryptCost = 12

// Create adds an admin, with an audit entry in the same transaction.
func (s *Store) Create(ctx context.Context, n New) (*Admin, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, n.Password)
	if err != nil {
		return nil, err
	}
	var tenantID any
	if n.TenantID != 0 {
		tenantID = n.TenantID
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res, err := tx.ExecContext(ctx,
		`INSERT INTO admins (email, password_hash, role, tenant_id) VALUES (?, ?, ?, ?)`,
		n.Email, hash, n.Role, tenantID)
	if err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1062 {
			return nil, ErrEmailTaken
		}
		return nil, fmt.Errorf("admins: insert: %w", err)
	}
	id, _ := res.LastInsertId()
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: n.TenantID, Actor: n.Actor,
		Action: "admin.created", TargetType: "admin", TargetID: n.Email,
		Details: map[string]any{"role": n.Role}}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	return s.ByID(ctx, id)
}

// ByID loads an admin.
func (s *Store) ByID(ctx context.Context, id int64) (*Admin, error) {
	return s.one(ctx, `WHERE id = ?`, id)
}

// ByEmail loads an admin by email, normalised (NormalizeEmail); a
// malformed address is ErrNotFound.
func (s *Store) ByEmail(ctx context.Context, email string) (*Admin, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, ErrNotFound
	}
	return s.one(ctx, `WHERE email = ?`, email)
}

func (s *Store) one(ctx context.Context, where string, arg any) (*Admin, error) {
	var a Admin
	err := s.db.GetContext(ctx, &a, `SELECT id, email, password_hash, role, tenant_id, status, created_at FROM admins `+where, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("admins: load: %w", err)
	}
	return &a, nil
}

// dummyHash is compared against when an email is unknown, so that a wrong
// email costs as long as a wrong password and timing tells nothing.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("miniauth-dummy-password"), bcryptCost)
	return h
})

// Authenticate checks an email and password. Every failure is
// ErrBadPassword, except ErrBusy when the node's gate has no slot for the
// check.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*Admin, error) {
	a, err := s.ByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	hash := dummyHash
	if a != nil {
		hash = func() []byte { return []byte(a.PasswordHash) }
	}
	var mismatch error
	if err := s.gate.Do(ctx, func() { mismatch = bcrypt.CompareHashAndPassword(hash(), []byte(password)) }); err != nil {
		return nil, err
	}
	if a == nil || mismatch != nil || a.Status != "active" {
		return nil, ErrBadPassword
	}
	return a, nil
}
