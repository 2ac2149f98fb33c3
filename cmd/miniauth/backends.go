package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/sessions"
)

// BackendsConfig configures what tenant backends use: JWT access tokens,
// their signing keys, and webhooks.
type BackendsConfig struct {
	JWTAlg         string        // MINIAUTH_JWT_ALG: ES256 (default) or EdDSA, for new tenant keys
	AccessTokenTTL time.Duration // MINIAUTH_ACCESS_TOKEN_TTL (default 15m)
	KeyRotation    time.Duration // MINIAUTH_SIGNING_KEY_ROTATION: rotate keys this old (default 720h)
	// MINIAUTH_WEBHOOKS_ALLOW_PRIVATE: let webhooks reach loopback, private
	// and other non-public addresses (development only).
	WebhooksAllowPrivate bool
}

func loadBackendsConfig() (BackendsConfig, error) {
	c := BackendsConfig{JWTAlg: env("MINIAUTH_JWT_ALG", sessions.AlgES256)}
	var errs []error
	if c.JWTAlg != sessions.AlgES256 && c.JWTAlg != sessions.AlgEdDSA {
		errs = append(errs, errors.New("MINIAUTH_JWT_ALG must be ES256 or EdDSA"))
	}
	var err error
	if c.AccessTokenTTL, err = time.ParseDuration(env("MINIAUTH_ACCESS_TOKEN_TTL", "15m")); err != nil ||
		c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		errs = append(errs, errors.New("MINIAUTH_ACCESS_TOKEN_TTL must be a duration from 1m to 24h"))
	}
	if c.KeyRotation, err = time.ParseDuration(env("MINIAUTH_SIGNING_KEY_ROTATION", "720h")); err != nil || c.KeyRotation < time.Hour {
		errs = append(errs, errors.New("MINIAUTH_SIGNING_KEY_ROTATION must be a duration of at least 1h"))
	}
	if c.WebhooksAllowPrivate, err = strconv.ParseBool(env("MINIAUTH_WEBHOOKS_ALLOW_PRIVATE", "false")); err != nil {
		errs = append(errs, errors.New("MINIAUTH_WEBHOOKS_ALLOW_PRIVATE must be true or false"))
	}
	return c, errors.Join(errs...)
}

// keyPolicy is how new signing keys are made and rotated.
func (c BackendsConfig) keyPolicy() sessions.KeyPolicy {
	return sessions.KeyPolicy{Alg: c.JWTAlg, TokenTTL: c.AccessTokenTTL, RotateEvery: c.KeyRotation}
}

// apikeyCmd: miniauth apikey create|list|revoke --tenant S. The new key is
// printed once, on standard output, and nowhere else.
func apikeyCmd(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet("apikey "+args[0], flag.ContinueOnError)
	slug := fs.String("tenant", "", "tenant slug")
	name := fs.String("name", "", "what the key is for (create)")
	id := fs.Int64("id", 0, "key id (revoke)")
	if err := fs.Parse(args[1:]); err != nil || *slug == "" {
		return errUsage
	}
	db, keys, err := openWithKeys(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := tenants.NewRegistry(db, keys).BySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *slug, err)
	}
	store := apikeys.NewStore(db)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	switch args[0] {
	case "create":
		secret, k, err := store.Create(ctx, t.ID, *name, audit.CLI)
		if err != nil {
			return err
		}
		return enc.Encode(map[string]any{"api_key": k, "key": secret})
	case "list":
		list, err := store.List(ctx, t.ID)
		if err != nil {
			return err
		}
		return enc.Encode(list)
	case "revoke":
		if *id <= 0 {
			return errUsage
		}
		// Running servers keep keys in memory: tell them.
		rdb, err := openRedis(ctx, cfg.Redis)
		if err != nil {
			return err
		}
		defer rdb.Close()
		store = apikeys.NewStore(db, apikeys.WithCache(cliBus(rdb, cfg), time.Minute))
		return store.Revoke(ctx, t.ID, *id, audit.CLI)
	}
	return errUsage
}

// signingKeyCmd: miniauth signing-key rotate|list --tenant S [--alg EdDSA].
func signingKeyCmd(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet("signing-key "+args[0], flag.ContinueOnError)
	slug := fs.String("tenant", "", "tenant slug")
	alg := fs.String("alg", "", "algorithm of the new next key: ES256 or EdDSA (default: unchanged)")
	if err := fs.Parse(args[1:]); err != nil || *slug == "" {
		return errUsage
	}
	db, keys, err := openWithKeys(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := tenants.NewRegistry(db, keys).BySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *slug, err)
	}
	signing := sessions.NewSigningKeys(db, keys, cfg.Backends.keyPolicy(), nil)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	switch args[0] {
	case "rotate":
		// Running servers keep keys in memory: tell them.
		rdb, err := openRedis(ctx, cfg.Redis)
		if err != nil {
			return err
		}
		defer rdb.Close()
		signing = sessions.NewSigningKeys(db, keys, cfg.Backends.keyPolicy(), nil, sessions.WithKeyCache(cliBus(rdb, cfg)))
		rot, err := signing.Rotate(ctx, t.ID, *alg, audit.CLI)
		if err != nil {
			return err
		}
		return enc.Encode(rot)
	case "list":
		list, err := signing.Published(ctx, t.ID)
		if err != nil {
			return err
		}
		out := make([]map[string]any, 0, len(list))
		for _, k := range list {
			out = append(out, map[string]any{"kid": k.KID, "alg": k.Alg, "state": k.State,
				"created_at": k.CreatedAt, "retire_after": k.RetireAfter})
		}
		return enc.Encode(out)
	}
	return errUsage
}

func openWithKeys(ctx context.Context, cfg Config) (*sqlx.DB, *keyring.Ring, error) {
	db, err := openMySQL(ctx, cfg.MySQLDSN)
	if err != nil {
		return nil, nil, err
	}
	return db, cfg.Keys, nil
}
