// Package migrations holds the schema as numbered SQL files, embedded into the
// binary, and applies them with goose.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// lockName serialises migrations across processes: several nodes started
// with MINIAUTH_AUTO_MIGRATE at once must not race on DDL.
const lockName = "miniauth.migrate"

// ErrStale is returned by Check when the database is behind the binary.
var ErrStale = errors.New("migrations: schema is not up to date; run `miniauth migrate`")

func provider(db *sql.DB, logger *slog.Logger) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	p, err := goose.NewProvider(goose.DialectMySQL, db, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Up applies every pending migration and returns the resulting version.
func Up(ctx context.Context, db *sql.DB, logger *slog.Logger) (int64, error) {
	p, err := provider(db, logger)
	if err != nil {
		return 0, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", lockName).Scan(&got); err != nil {
		return 0, fmt.Errorf("migrations: lock: %w", err)
	}
	if got.Int64 != 1 {
		return 0, errors.New("migrations: another process holds the migration lock")
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", lockName) //nolint:errcheck // the lock dies with the connection anyway

	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrations: up: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// Check returns ErrStale when migrations are pending, and the current and
// expected versions either way.
func Check(ctx context.Context, db *sql.DB) (current, target int64, err error) {
	p, err := provider(db, nil)
	if err != nil {
		return 0, 0, err
	}
	current, target, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	if current < target {
		return current, target, ErrStale
	}
	return current, target, nil
}
