package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/audit"
	"miniauth/tenants/sms"
)

type tenantJSON struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	Apps      []appJSON `json:"apps,omitempty"`
	CreatedAt string    `json:"created_at"`
}

type appJSON struct {
	AppID     string `json:"appid"`
	Kind      string `json:"kind"`
	IsDefault bool   `json:"is_default"`
}

func toJSON(t *tenants.Tenant) tenantJSON {
	j := tenantJSON{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: t.Status, CreatedAt: t.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
	for _, a := range t.Apps {
		j.Apps = append(j.Apps, appJSON{AppID: a.AppID, Kind: a.Kind, IsDefault: a.IsDefault})
	}
	return j
}

func tenantCmd(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	db, err := openMySQL(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	// Running servers keep tenants in memory: the registry tells them of
	// every change it commits.
	rdb, err := openRedis(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()
	keys := cfg.Keys
	reg := tenants.NewRegistry(db, keys, tenants.WithCache(cliBus(rdb, cfg), tenants.CacheConfig{}))
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")

	switch args[0] {
	case "list":
		list, err := reg.List(ctx)
		if err != nil {
			return err
		}
		out := make([]tenantJSON, 0, len(list))
		for i := range list {
			out = append(out, toJSON(&list[i]))
		}
		return enc.Encode(out)
	case "create":
		fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
		slug := fs.String("slug", "", "tenant slug, [a-z0-9-]{3,32}")
		name := fs.String("name", "", "display name")
		appid := fs.String("appid", "", "the mini-program's AppID")
		ifNotExists := fs.Bool("if-not-exists", false, "succeed, printing the existing tenant, when the slug is taken")
		if err := fs.Parse(args[1:]); err != nil {
			return errUsage
		}
		if *ifNotExists {
			if t, err := reg.BySlug(ctx, *slug); err == nil {
				// An existing tenant is only of use if this master key opens
				// its secrets (a second checkout makes a new dev key).
				for i := range t.Apps {
					if _, err := reg.Secret(&t.Apps[i]); err != nil {
						return fmt.Errorf("tenant %q exists, but its AppSecret of %s was sealed with %w (key id %s, current %s)",
							*slug, t.Apps[i].AppID, errOtherMasterKey, t.Apps[i].SecretKeyID, keys.CurrentKeyID())
					}
				}
				return enc.Encode(toJSON(t))
			}
		}
		secret, err := readLine(stdin, "AppSecret")
		if err != nil {
			return err
		}
		t, err := reg.Create(ctx, tenants.NewTenant{Slug: *slug, Name: *name, AppID: *appid, Secret: secret, Actor: audit.CLI})
		if err != nil {
			return err
		}
		return enc.Encode(toJSON(t))
	case "add-app", "remove-app", "rotate-secret":
		return appCmd(ctx, reg, args, stdin, enc)
	case "sms":
		return tenantSMSCmd(ctx, reg, sms.NewStore(db, keys), args[1:], stdin, enc) // tenant_sms.go
	}
	return errUsage
}

func adminCmd(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errUsage
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email")
	role := fs.String("role", admins.RolePlatform, "platform or tenant")
	slug := fs.String("tenant", "", "the tenant of a tenant admin")
	ifNotExists := fs.Bool("if-not-exists", false, "succeed when the email is already registered")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	db, err := openMySQL(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	store := admins.NewStore(db)
	if *ifNotExists {
		if a, err := store.ByEmail(ctx, *email); err == nil {
			return printAdmin(stdout, a, *slug)
		}
	}
	var tenantID int64
	if *slug != "" {
		t, err := tenants.NewRegistry(db, nil).BySlug(ctx, *slug)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", *slug, err)
		}
		tenantID = t.ID
	}
	password, err := readLine(stdin, "password")
	if err != nil {
		return err
	}
	a, err := store.Create(ctx, admins.New{Email: *email, Password: password, Role: *role, TenantID: tenantID, Actor: audit.CLI})
	if err != nil {
		return err
	}
	return printAdmin(stdout, a, *slug)
}

func printAdmin(stdout io.Writer, a *admins.Admin, slug string) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"id": a.ID, "email": a.Email, "role": a.Role, "tenant": slug})
}

// readLine reads one line from stdin: secrets come this way, never as flags
// that ps would show.
func readLine(r io.Reader, what string) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("expected the %s on stdin", what)
	}
	return line, nil
}
