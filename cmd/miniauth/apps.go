package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

// appAdders are the kinds `tenant add-app` takes: every kind but the
// mini-program, whose first comes with `tenant create`.
func appAdders(reg *tenants.Registry) map[string]func(context.Context, int64, tenants.NewApp) error {
	return map[string]func(context.Context, int64, tenants.NewApp) error{
		tenants.KindOfficialAccount: reg.AddOfficialAccount,
		tenants.KindMobileApp:       reg.AddMobileApp,
		tenants.KindWebsite:         reg.AddWebsite,
	}
}

// appCmd runs `tenant add-app|remove-app|rotate-secret` and prints the
// tenant as it is afterwards.
func appCmd(ctx context.Context, reg *tenants.Registry, args []string, stdin io.Reader, enc *json.Encoder) error {
	fs := flag.NewFlagSet("tenant "+args[0], flag.ContinueOnError)
	slug := fs.String("slug", "", "the tenant's slug")
	appid := fs.String("appid", "", "the app's AppID")
	var kind *string
	var ifNotExists *bool
	if args[0] == "add-app" {
		kind = fs.String("kind", "", "officialaccount, mobileapp or website")
		ifNotExists = fs.Bool("if-not-exists", false, "succeed when the tenant already has this app, of this kind")
	}
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	t, err := reg.BySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *slug, err)
	}
	switch args[0] {
	case "add-app":
		add, ok := appAdders(reg)[*kind]
		if !ok {
			return fmt.Errorf("--kind %q: want officialaccount, mobileapp or website", *kind)
		}
		if *ifNotExists {
			if a, err := t.App(*appid); *appid != "" && err == nil {
				if a.Kind != *kind {
					return fmt.Errorf("tenant %q has %s as a %s, not a %s", *slug, *appid, a.Kind, *kind)
				}
				if _, err := reg.Secret(a); err != nil {
					return fmt.Errorf("tenant %q has %s, but its AppSecret was sealed with another master key (key id %s)", *slug, *appid, a.SecretKeyID)
				}
				return enc.Encode(toJSON(t))
			}
		}
		secret, err := readLine(stdin, "AppSecret")
		if err != nil {
			return err
		}
		err = add(ctx, t.ID, tenants.NewApp{AppID: *appid, Secret: secret, Actor: audit.CLI})
		if err != nil {
			return err
		}
	case "rotate-secret":
		secret, err := readLine(stdin, "AppSecret")
		if err != nil {
			return err
		}
		if err := reg.RotateSecret(ctx, t.ID, *appid, secret, audit.CLI); err != nil {
			return err
		}
	case "remove-app":
		if err := reg.RemoveApp(ctx, t.ID, *appid, audit.CLI); err != nil {
			return err
		}
	}
	// The registry has told the running servers of the change (tenantCmd
	// gives it the bus).
	if t, err = reg.ByID(ctx, t.ID); err != nil {
		return err
	}
	return enc.Encode(toJSON(t))
}
