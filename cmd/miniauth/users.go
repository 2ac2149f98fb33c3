package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/users"
)

// usersCmd is `miniauth users import --tenant S [--format csv|json] < file`:
// the bulk twin of the admin API's POST /users/import, without its 64 KiB
// body limit (docs/registration.md).
func usersCmd(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errUsage
	}
	fs := flag.NewFlagSet("users import", flag.ContinueOnError)
	slug := fs.String("tenant", "", "the tenant's slug")
	format := fs.String("format", "csv", "csv (header phone,name,external_id) or json")
	if err := fs.Parse(args[1:]); err != nil || (*format != "csv" && *format != "json") {
		return errUsage
	}
	db, err := openMySQL(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := tenants.NewRegistry(db, cfg.Keys).BySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *slug, err)
	}
	parse := users.ParseImportCSV
	if *format == "json" {
		parse = users.ParseImportJSON
	}
	rows, err := parse(stdin)
	if err != nil {
		return err
	}
	// Running servers keep users in memory: tell them which ones changed.
	rdb, err := openRedis(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := users.NewStore(db, users.WithCache(cliBus(rdb, cfg), users.CacheConfig{}))
	res, err := store.Import(ctx, t.ID, rows, audit.CLI)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d invalid lines; nothing was imported", len(res.Errors))
	}
	return nil
}
